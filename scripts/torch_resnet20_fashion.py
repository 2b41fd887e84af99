#!/usr/bin/env python3
"""PyTorch CPU twin of gozoo's resnet20 recipe on Fashion-MNIST
(gozoo train -model resnet20 -dataset fashion-mnist), for side-by-side accuracy and speed.

Run:   /usr/bin/python3 scripts/torch_resnet20_fashion.py --data /usr/share/datasets/fashion-mnist
Smoke: /usr/bin/python3 scripts/torch_resnet20_fashion.py --limit 512 --epochs 1

Network: resnet_torch.resnet20(in_channels=1, classes=10), 272,186 parameters, on 1x28x28
pixels scaled to [0,1] (x/255, no mean/std normalisation).
Recipe (gozoo's resnet20 preset): SGD, momentum 0.9 (dampening 0, not Nesterov), --lr 0.1,
--wd 5e-4 as SGD's weight_decay (an L2 term on the gradient of every parameter, BN and biases
included), --batch 128, --epochs 15, cosine decay per step to 0: before step t (0-based)
lr_t = 0.5*lr*(1+cos(pi*t/T)), T = ceil(n_train/batch)*epochs (3,525 for the full set).
Training images only are augmented: zero-padded by --pad 4 pixels on each side, a random
28x28 crop, then a horizontal flip with p=0.5, drawn per image from a seeded torch.Generator
and applied to the whole batch with tensor ops (two gathers and a where). The training set
is reshuffled each epoch (same generator); the last partial batch is trained on too.
Loss: cross-entropy (mean over the batch). After each epoch: the 10,000 test images
(or the first --limit) in eval mode.

stdout: one JSON object per epoch
  {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds", "samples_per_sec", "threads"}
  train_loss/train_acc: means over the epoch's (augmented) training images, in train mode,
  as the batches go; seconds: the epoch's training time (batching, augmentation, forward,
  backward, step; not the test pass); samples_per_sec = training images / seconds.
stderr: progress.

Threads: torch.set_num_threads(--threads), default 2; OPENBLAS_NUM_THREADS=1 unless set
(as scripts' peer torch_mnist.py: OpenBLAS' own pool would fight torch's on 2 cores).
The peer at its best is the faster of --threads 1 and 2 (torch_resnet20_bench.py measures both).
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before torch loads OpenBLAS
import argparse, gzip, json, math, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resnet_torch import resnet20, count_params  # noqa: E402


def idx_images(path):
    with gzip.open(path) as f:
        magic, n, r, c = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            sys.exit("%s: not an IDX image file (magic %d)" % (path, magic))
        return np.frombuffer(f.read(n * r * c), np.uint8).reshape(n, 1, r, c).astype(np.float32) / 255.0


def idx_labels(path):
    with gzip.open(path) as f:
        magic, n = struct.unpack(">II", f.read(8))
        if magic != 2049:
            sys.exit("%s: not an IDX label file (magic %d)" % (path, magic))
        return np.frombuffer(f.read(n), np.uint8).astype(np.int64)


def augment(x, pad, gen):
    """Random crops of the zero-padded batch x (N,C,H,W) back to HxW, then horizontal
    flips with p=0.5; offsets and flips drawn per image from gen."""
    n, c, h, w = x.shape
    if pad > 0:
        xp = F.pad(x, (pad, pad, pad, pad))  # zeros
        oy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
        ox = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
        rows = (oy[:, None] + torch.arange(h)).view(n, 1, h, 1).expand(n, c, h, w + 2 * pad)
        x = xp.gather(2, rows)  # (n, c, h, w+2p)
        cols = (ox[:, None] + torch.arange(w)).view(n, 1, 1, w).expand(n, c, h, w)
        x = x.gather(3, cols)  # (n, c, h, w)
    flip = (torch.rand(n, generator=gen) < 0.5).view(n, 1, 1, 1)
    return torch.where(flip, x.flip(3), x)


def evaluate(model, x, y, batch=1000):
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = model(x[i : i + batch])
            t = y[i : i + batch]
            loss_sum += F.cross_entropy(out, t, reduction="sum").item()
            correct += (out.argmax(1) == t).sum().item()
    return loss_sum / len(x), correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                   help="folder with the four Fashion-MNIST *-ubyte.gz files")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1, help="peak rate of the per-step cosine")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--wd", type=float, default=5e-4, help="SGD weight_decay (L2), all parameters")
    p.add_argument("--pad", type=int, default=4, help="zero padding of the random crops (0: flips only)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=0, help="use the first N train and N test images (0: all)")
    p.add_argument("--fc-init", choices=("torch", "glorot"), default="torch",
                   help="classifier init: PyTorch's Linear default, or gozoo's Glorot uniform")
    p.add_argument("--log-every", type=int, default=50, help="progress line on stderr every N steps")
    a = p.parse_args()
    if a.epochs < 1 or a.batch < 1 or a.threads < 1 or a.pad < 0:
        sys.exit("--epochs, --batch and --threads must be positive, --pad non-negative")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)  # weights
    gen = torch.Generator().manual_seed(a.seed)  # shuffles, crops, flips

    d = a.data.rstrip("/")
    xtr = torch.from_numpy(idx_images(d + "/train-images-idx3-ubyte.gz"))
    ytr = torch.from_numpy(idx_labels(d + "/train-labels-idx1-ubyte.gz"))
    xte = torch.from_numpy(idx_images(d + "/t10k-images-idx3-ubyte.gz"))
    yte = torch.from_numpy(idx_labels(d + "/t10k-labels-idx1-ubyte.gz"))
    if a.limit > 0:
        xtr, ytr, xte, yte = xtr[: a.limit], ytr[: a.limit], xte[: a.limit], yte[: a.limit]
    n = len(xtr)

    model = resnet20(in_channels=xtr.shape[1], classes=10, fc_init=a.fc_init)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum, dampening=0,
                          nesterov=False, weight_decay=a.wd)
    steps_per_epoch = math.ceil(n / a.batch)
    total = steps_per_epoch * a.epochs
    print("resnet20: %d parameters; %d train, %d test images %s; %d steps (%d per epoch); threads %d"
          % (count_params(model), n, len(xte), tuple(xtr.shape[1:]), total, steps_per_epoch, a.threads),
          file=sys.stderr, flush=True)

    step = 0
    for ep in range(1, a.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct = 0.0, 0
        for i in range(0, n, a.batch):
            idx = perm[i : i + a.batch]
            xb = augment(xtr[idx], a.pad, gen)
            yb = ytr[idx]
            lr = 0.5 * a.lr * (1 + math.cos(math.pi * step / total))
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
            step += 1
            if a.log_every > 0 and (step % a.log_every == 0 or i + a.batch >= n):
                seen = min(i + a.batch, n)
                el = time.perf_counter() - t0
                print("epoch %d step %d/%d lr %.5f loss %.4f acc %.4f %.0f samples/s"
                      % (ep, step, total, lr, loss_sum / seen, correct / seen, seen / el),
                      file=sys.stderr, flush=True)
        dt = time.perf_counter() - t0
        test_loss, test_acc = evaluate(model, xte, yte)
        print(json.dumps({"epoch": ep, "train_loss": loss_sum / n, "train_acc": correct / n,
                          "test_loss": test_loss, "test_acc": test_acc, "seconds": dt,
                          "samples_per_sec": n / dt, "threads": a.threads}), flush=True)


if __name__ == "__main__":
    main()
