/**
 * @weft/text: text data for character-level language models — the names corpus (shipped in npm
 * packages), UTF-8 text files, a character vocabulary, splits by document and window datasets.
 */
export { namesCorpus } from "./names.js";
export { CharVocabulary } from "./vocabulary.js";
export { END, loadDocuments, readTextDocuments, splitCorpus, windows } from "./corpus.js";
export type { CorpusSplits, SplitOptions, Windows } from "./corpus.js";
export { CharTransformer, STANDARD_CHAR_LM, charLmLoss } from "./char-transformer.js";
export type { CharTransformerOptions } from "./char-transformer.js";
export { CHAR_LM_MODEL } from "./char-lm-model.js";
export { sampleDocuments } from "./sample.js";
export type { SampleOptions } from "./sample.js";
