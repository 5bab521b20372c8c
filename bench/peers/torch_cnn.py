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
import argparse
import json
import os
import statistics
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=0)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=4)
    p.add_argument("--target-ms", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", action="store_true", help="accepted for symmetry with the Node peers (the output is always JSON)")
    a = p.parse_args()
    if a.quick:
        a.steps, a.repeats, a.warmup = a.steps or 2, 1, 1
    return a


ARGS = parse()
# Debian's torch calls BLAS through libblas.so.3 (OpenBLAS where installed), which does not follow
# torch.set_num_threads: hold it to the same thread count before torch loads it.
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

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
    order = torch.randperm(rows)
    per_pass = rows // a.batch
    model = standard_cnn().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    step_no = 0

    def run(steps):
        nonlocal step_no
        t0 = time.perf_counter()
        for _ in range(steps):
            idx = order[(step_no % per_pass) * a.batch:(step_no % per_pass + 1) * a.batch]
            step_no += 1
            x, y = x_all.index_select(0, idx), y_all.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
        return (time.perf_counter() - t0) * 1000

    ms_per_step = float("inf")
    if a.warmup > 0:
        first = max(1, a.warmup // 2)
        run(first)
        if a.warmup - first > 0:
            ms_per_step = run(a.warmup - first) / (a.warmup - first)
    steps = a.steps
    if steps <= 0:
        if ms_per_step == float("inf"):
            ms_per_step = run(1)
        steps = min(200, max(2, round(a.target_ms / max(ms_per_step, 1e-3))))
    runs = [a.batch * steps * 1000 / run(steps) for _ in range(a.repeats)]
    mid = statistics.median(runs)
    blas = "OpenBLAS" if "openblas" in open("/proc/self/maps").read().lower() else "BLAS as linked (libblas.so.3)"
    note = f"torch {torch.__version__}, {a.threads} thread(s), MKL-DNN {'on' if torch.backends.mkldnn.is_available() else 'off'}, {blas}"
    print(json.dumps({
        "bench": "peer", "library": "pytorch", "torch": torch.__version__, "workers": 1, "threads": a.threads,
        "batch": a.batch, "note": note, "samplesPerSec": mid, "msPerStep": a.batch * 1000 / mid,
        "runs": runs, "steps": steps, "repeats": a.repeats,
    }))


if __name__ == "__main__":
    main()
