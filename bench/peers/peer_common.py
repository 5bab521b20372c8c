"""What the PyTorch peers (torch_cnn.py, torch_lm.py) share: their command line, the thread
setting that must precede `import torch`, and the timing bench/src/measure.ts uses for weft —
K warm-up steps (not timed), then R timed repeats of N steps (N = 0: fitted to about
--target-ms per repeat), the median repeat."""
import argparse
import os
import statistics
import time


def parse(description, batch, extra=None, max_steps=200):
    """The peers' common arguments (plus `extra(parser)`'s); sets the BLAS/OpenMP thread count
    before the caller imports torch: Debian's torch calls BLAS through libblas.so.3 (OpenBLAS where
    installed), which does not follow torch.set_num_threads."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=batch)
    p.add_argument("--steps", type=int, default=0)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=4)
    p.add_argument("--target-ms", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", action="store_true", help="accepted for symmetry with the Node peers (the output is always JSON)")
    if extra:
        extra(p)
    a = p.parse_args()
    if a.quick:
        a.steps, a.repeats, a.warmup = a.steps or 2, 1, 1
    a.max_steps = max_steps
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    return a


def measure(a, step):
    """Runs `step()` (one training step) as weft's benchmarks run theirs; returns (steps, runs)
    with runs the rows (a.batch per step) per second of each timed repeat."""
    def run(steps):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
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
        steps = min(a.max_steps, max(2, round(a.target_ms / max(ms_per_step, 1e-3))))
    return steps, [a.batch * steps * 1000 / run(steps) for _ in range(a.repeats)]


def measure_training(a, torch, x_all, y_all, opt, loss_of):
    """measure() over training steps: each gathers its batch's rows of x_all / y_all in a
    seeded permutation (as weft's loops do), then zero_grad, `loss_of(x, y)`, backward, opt.step
    and the loss read back (.item())."""
    rows = x_all.shape[0]
    order = torch.randperm(rows)
    per_pass = rows // a.batch
    step_no = 0

    def step():
        nonlocal step_no
        idx = order[(step_no % per_pass) * a.batch:(step_no % per_pass + 1) * a.batch]
        step_no += 1
        x, y = x_all.index_select(0, idx), y_all.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        loss = loss_of(x, y)
        loss.backward()
        opt.step()
        loss.item()

    return measure(a, step)


def blas_name():
    return "OpenBLAS" if "openblas" in open("/proc/self/maps").read().lower() else "BLAS as linked (libblas.so.3)"


median = statistics.median
