"""PyTorch peer for `pnpm bench:peers --arch cnn` (optional: weft never needs Python).

usage: python3 bench/peers/torch_cnn.py --threads T [--batch 128] [--steps N] [--repeats R]
       [--warmup K] [--target-ms 500] [--seed 0] [--quick]

The standard CNN workload of issue 14, measured as bench/src/measure.ts measures weft: K warm-up
steps (not timed), then R timed repeats of N steps (N = 0: fitted to about --target-ms per
repeat), the median repeat's samples/s. Conv2d(1,32,3,p1, no bias) -> BatchNorm2d -> ReLU ->
MaxPool2d(2) -> Conv2d(32,64,3,p1, no bias) -> BatchNorm2d -> ReLU -> MaxPool2d(2) -> Flatten ->
Linear(3136,128) -> ReLU -> Linear(128,10), cross-entropy, Adam 1e-3; max(1024, 4 x batch) rows
of N(0, 1) inputs [rows, 1, 28, 28] with uniform labels, visited in a seeded permutation, each
step gathering its batch's rows (as weft's loops do) and reading the loss back (.item()).
Prints one JSON line: the record bench/src/peers.ts reads.
"""
import json

from peer_common import blas_name, measure_training, median, parse

ARGS = parse(__doc__.split("\n")[0], batch=128)

import torch  # noqa: E402
from torch import nn  # noqa: E402


def standard_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def main():
    a = ARGS
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rows = max(1024, 4 * a.batch)
    x_all = torch.randn(rows, 1, 28, 28)
    y_all = torch.randint(0, 10, (rows,))
    model = standard_cnn().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    steps, runs = measure_training(a, torch, x_all, y_all, opt, lambda x, y: loss_fn(model(x), y))
    mid = median(runs)
    blas = blas_name()
    note = f"torch {torch.__version__}, {a.threads} thread(s), MKL-DNN {'on' if torch.backends.mkldnn.is_available() else 'off'}, {blas}"
    print(json.dumps({
        "bench": "peer", "library": "pytorch", "torch": torch.__version__, "workers": 1, "threads": a.threads,
        "batch": a.batch, "note": note, "samplesPerSec": mid, "msPerStep": a.batch * 1000 / mid,
        "runs": runs, "steps": steps, "repeats": a.repeats,
    }))


if __name__ == "__main__":
    main()
