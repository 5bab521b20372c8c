/** `--help` texts, the train flags' generated from their table so they cannot drift. */
import { TRAIN_FLAGS } from "./config.js";

export const MAIN_HELP = `weft — train neural networks on every core of this machine

Usage:
  weft train [flags]                         train a model (default: MLP on the embedded MNIST digits)
  weft eval --model <run dir> [flags]        loss and accuracy of a trained model on a split
  weft predict --model <run dir> --input <file>   predicted classes of new inputs

Run "weft <command> --help" for a command's flags.
`;

export function trainHelp(): string {
  const rows = TRAIN_FLAGS.map((f) => {
    const left = `  --${f.name}${f.metavar ? ` ${f.metavar}` : ""}`;
    const def = f.shown ? ` [default: ${f.shown}]` : "";
    return `${left.padEnd(30)}${f.help}${def}`;
  });
  return `Usage: weft train [flags]

Trains a classifier (with --task regression, a regressor) with data-parallel workers (one per
core by default) and writes a run directory: config.json, metrics.jsonl, model.safetensors
(PyTorch keys), optimizer.safetensors, report.html and a checkpoint per epoch. Default: 784-256-BN-ReLU-128-BN-ReLU-10, Adam 1e-3,
batch 128, 10 epochs on the embedded MNIST (8,000 / 1,000 / 1,000 digits).

Flags:
${rows.join("\n")}

Examples:
  weft train --epochs 2
  weft train --data idx:train-images-idx3-ubyte.gz,train-labels-idx1-ubyte.gz --splits 0.9,0.05,0.05
  weft train --optimizer sgd --lr 0.1 --momentum 0.9 --lr-schedule cosine --out runs/sgd
  weft train --resume runs/sgd --epochs 20
  weft train --data csv:loans.csv --label-column decision --impute mean
  weft train --data csv:houses.csv --task regression --label-column price,rent
`;
}

export const EVAL_HELP = `Usage: weft eval --model <run dir> [flags]

Prints the loss and accuracy (regression: rmse, mae, r²) of a trained run's model.safetensors
(single process, eval mode).

Flags:
  --model DIR                 a run directory written by weft train (required)
  --data SOURCE               mnist, idx:<images>,<labels> or csv:<file> [default: the run's data]
  --split NAME                test, val, train or all [default: test for the run's data, all for other data]
  --json                      print one JSON line
  --verbose                   print stack traces with errors
  --help                      show this help
`;

export const PREDICT_HELP = `Usage: weft predict --model <run dir> --input <file> [flags]

Prints the predicted class of each input row, one per line (its name when the labels were text;
for a regression run, the predicted targets). The input is raw data (as on disk; the run's
standardisation is applied): an IDX images file (.gz ok), or a CSV of feature columns (with a
header, picked by the training header's names; without, the features alone or the training
layout with its label columns, which are ignored).

Flags:
  --model DIR                 a run directory written by weft train (required)
  --input FILE                IDX images or CSV rows (required)
  --json                      one JSON line per row: {"row", "class", "label", "confidence"} (regression: {"row", "prediction"})
  --verbose                   print stack traces with errors
  --help                      show this help
`;
