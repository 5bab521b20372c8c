/** A character vocabulary: the sorted set of characters (Unicode code points) of a text, and ids for them. */

export class CharVocabulary {
  /** The characters, in id order. */
  readonly chars: readonly string[];
  private readonly ids: Map<string, number>;

  /** The distinct code points of `text`, sorted by code point. */
  static fromText(text: string): CharVocabulary {
    return new CharVocabulary([...new Set(text)].sort());
  }

  constructor(chars: readonly string[]) {
    if (new Set(chars).size !== chars.length) throw new Error("CharVocabulary: the characters must be distinct");
    for (const c of chars) if ([...c].length !== 1) throw new Error(`CharVocabulary: ${JSON.stringify(c)} is not one character`);
    this.chars = Object.freeze([...chars]);
    this.ids = new Map(chars.map((c, i) => [c, i]));
  }

  get size(): number {
    return this.chars.length;
  }

  /** The id of character `c`, or −1. */
  id(c: string): number {
    return this.ids.get(c) ?? -1;
  }

  /** The ids of `text`'s characters; a character outside the vocabulary is an error naming it and its position. */
  encode(text: string): Int32Array {
    const chars = [...text];
    const out = new Int32Array(chars.length);
    chars.forEach((c, i) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new Error(`CharVocabulary.encode: character ${JSON.stringify(c)} at position ${i} is not in the vocabulary (${this.size} characters)`);
      out[i] = id;
    });
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = "";
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]];
      if (c === undefined) throw new Error(`CharVocabulary.decode: id ${ids[i]} at position ${i} is outside 0 … ${this.size - 1}`);
      s += c;
    }
    return s;
  }
}
