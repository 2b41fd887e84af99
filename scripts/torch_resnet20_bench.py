#!/usr/bin/env python3
"""Training speed of ResNet-20 (scripts/resnet_torch.py) in PyTorch on the CPU, on synthetic
inputs: the peer of gozoo's resnet20 training step.

Run:   /usr/bin/python3 scripts/torch_resnet20_bench.py --input 1x28x28
       /usr/bin/python3 scripts/torch_resnet20_bench.py --input 3x32x32
Smoke: /usr/bin/python3 scripts/torch_resnet20_bench.py --steps 3 --warmup 1

Each step is what torch_resnet20_fashion.py does per batch, without the data: set the rate,
zero_grad, forward in train mode, cross-entropy, backward, torch.optim.SGD step (momentum 0.9,
dampening 0, weight_decay 5e-4 on all parameters; the rate follows the recipe's per-step cosine
from 0.1 over warmup+steps). One fixed batch of uniform [0,1) images and random labels (seeded)
is fed every step. --warmup untimed steps, then --steps timed ones;
samples_per_sec = batch * steps / seconds.

--threads N measures N torch threads; 0 (the default) measures 1 then 2, each on a fresh model
in this process, and reports each and the best: PyTorch at its best, the peer to beat, is the
faster of the two with OPENBLAS_NUM_THREADS=1 (set here unless already set, before torch loads;
OpenBLAS' own pool would spin against torch's threads on a 2-core machine).

stdout, one JSON object:
  {"input": "1x28x28", "batch": 128, "results": [{"threads": 1, "samples_per_sec": ...}, ...],
   "best_threads": ..., "best_samples_per_sec": ...}
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before torch loads OpenBLAS
import argparse, json, math, sys, time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resnet_torch import resnet20  # noqa: E402


def parse_input(s):
    try:
        dims = tuple(int(d) for d in s.lower().split("x"))
    except ValueError:
        dims = ()
    if len(dims) != 3 or min(dims) < 1 or dims[1] < 4 or dims[2] < 4:
        raise argparse.ArgumentTypeError("--input must be CxHxW (1x28x28 or 3x32x32), got %r" % s)
    return dims


def measure(shape, batch, steps, warmup, threads, seed, lr=0.1):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = resnet20(in_channels=shape[0], classes=10)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, dampening=0, nesterov=False,
                          weight_decay=5e-4)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand((batch,) + shape, generator=gen)
    y = torch.randint(0, 10, (batch,), generator=gen)
    total = warmup + steps

    def step(t):
        for g in opt.param_groups:
            g["lr"] = 0.5 * lr * (1 + math.cos(math.pi * t / total))
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for t in range(warmup):
        step(t)
    t0 = time.perf_counter()
    for t in range(warmup, total):
        loss = step(t)
    loss.item()
    dt = time.perf_counter() - t0
    return batch * steps / dt


def main():
    p = argparse.ArgumentParser(description="ResNet-20 training samples/s in PyTorch (CPU) on synthetic inputs.")
    p.add_argument("--input", type=parse_input, default=(1, 28, 28), help="CxHxW: 1x28x28 (default) or 3x32x32")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=50, help="timed steps")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--threads", type=int, default=0,
                   help="torch threads; 0 (default) measures 1 and 2 and reports each and the best")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.batch < 1 or a.steps < 1 or a.warmup < 0 or a.threads < 0:
        p.error("--batch and --steps must be positive, --warmup and --threads not negative")
    inp = "x".join(str(d) for d in a.input)
    results = []
    for threads in ((1, 2) if a.threads == 0 else (a.threads,)):
        sps = measure(a.input, a.batch, a.steps, a.warmup, threads, a.seed)
        results.append({"threads": threads, "samples_per_sec": sps})
        print("threads %d: %.1f samples/s" % (threads, sps), file=sys.stderr, flush=True)
    best = max(results, key=lambda r: r["samples_per_sec"])
    print(json.dumps({"input": inp, "batch": a.batch, "results": results,
                      "best_threads": best["threads"], "best_samples_per_sec": best["samples_per_sec"]}),
          flush=True)
    print("torch %s, OPENBLAS_NUM_THREADS=%s" % (torch.__version__, os.environ.get("OPENBLAS_NUM_THREADS")),
          file=sys.stderr)


if __name__ == "__main__":
    main()
