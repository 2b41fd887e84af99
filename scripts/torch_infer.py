#!/usr/bin/env python3
"""PyTorch CPU inference figures for the peer models, to set beside gozoo bench.

The models are build() of ../shared/peers/torch_mnist.py (the training peer),
so both scripts measure the same networks. Measured like gozoo bench does:

  - batch inference: the MNIST test set in batches of --batch (full batches
    only, after one warm-up batch), eval mode under torch.no_grad(), timing
    only the model calls: samples/s;
  - latency: --latency-runs single-image calls, each on the next test image,
    after --warmup untimed ones: median and p99 in microseconds
    (numpy.percentile, linear interpolation, as gozoo's bench package).

The weights are the seeded initial ones: a dense CPU kernel's speed does not
depend on their values. Prints one JSON line.

Run:  /usr/bin/python3 scripts/torch_infer.py --model mlp --data DIR [--peers DIR]
(apt-get install -y python3-torch python3-numpy; use /usr/bin/python3, which
Debian's torch is installed for.)
"""
import argparse, json, os, sys, time

import numpy as np
import torch


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="mlp", help="mlp or lenet5")
    p.add_argument("--data", required=True, help="folder with the four MNIST *-ubyte.gz files")
    p.add_argument("--peers", default=os.environ.get("PEERS", os.path.join(here, "..", "..", "shared", "peers")),
                   help="folder holding torch_mnist.py (default $PEERS or ../shared/peers)")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--latency-runs", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.batch < 1 or a.latency_runs < 1 or a.warmup < 0:
        sys.exit("torch_infer: --batch and --latency-runs must be positive, --warmup not negative")
    sys.path.insert(0, a.peers)
    from torch_mnist import build, idx_images  # the training peer's models and reader

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    x = torch.from_numpy(idx_images(a.data.rstrip("/") + "/t10k-images-idx3-ubyte.gz"))
    model = build(a.model)
    model.eval()
    n = len(x)
    batches = max(1, n // a.batch)
    with torch.no_grad():
        model(x[: a.batch])  # warm-up
        total = 0.0
        for b in range(batches):
            xb = x[torch.arange(b * a.batch, (b + 1) * a.batch) % n]  # wraps like gozoo bench
            t0 = time.perf_counter()
            model(xb)
            total += time.perf_counter() - t0
        for i in range(a.warmup):
            model(x[i % n : i % n + 1])
        us = np.empty(a.latency_runs)
        for i in range(a.latency_runs):
            x1 = x[i % n : i % n + 1]
            t0 = time.perf_counter_ns()
            model(x1)
            us[i] = (time.perf_counter_ns() - t0) / 1e3
    print(json.dumps({
        "model": a.model, "infer_batch": a.batch, "infer_batches": batches,
        "infer_samples_per_sec": batches * a.batch / total,
        "latency_runs": a.latency_runs,
        "latency_us_median": float(np.percentile(us, 50)), "latency_us_p99": float(np.percentile(us, 99)),
        "threads": a.threads, "torch_version": torch.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
