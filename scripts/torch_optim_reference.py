#!/usr/bin/env python3
"""Writes optim/testdata/torch_reference.json: what torch.optim does in three
steps on a fixed small problem, for optim's tests to match to 1e-6.

Two parameters, "w" (2x3) and "b" (3), start from fixed values; each step
sets fixed gradients (no loss is computed) and calls optimizer.step(). For
every case the file holds the settings in gozoo's JSON names (missing ones
mean gozoo's defaults, which the script fills in here), the learning rate of
each step, the parameter values after each step, and the optimizer state
after the last step under gozoo's slot names.

Run from the repository root with Debian's python3-torch:
    python3 scripts/torch_optim_reference.py
"""
import json
import sys

import torch

PARAMS = [
    ("w", [2, 3], [0.5, -1.0, 1.5, 2.0, -0.25, 0.75]),
    ("b", [3], [0.1, -0.2, 0.3]),
]

# GRADS[step][param]: flat, row-major. Zeros and small values exercise eps.
GRADS = [
    [[0.1, -0.2, 0.3, -0.4, 0.5, 0.0], [1.0, -0.01, 0.25]],
    [[-0.3, 0.1, 0.2, 0.6, -0.5, 0.05], [0.5, 0.02, -0.75]],
    [[0.2, 0.2, -0.1, 0.1, 0.4, -0.02], [-1.5, 0.0, 0.3]],
]

# gozoo's defaults per kind (the zero value of its settings structs).
DEFAULTS = {
    "sgd": {"learning_rate": 0.01, "weight_decay": 0.0},
    "momentum": {"learning_rate": 0.01, "momentum": 0.9, "weight_decay": 0.0},
    "nesterov": {"learning_rate": 0.01, "momentum": 0.9, "weight_decay": 0.0},
    "adam": {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0},
    "adamw": {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.01},
    "rmsprop": {"learning_rate": 0.01, "alpha": 0.99, "epsilon": 1e-8, "weight_decay": 0.0},
    "adagrad": {"learning_rate": 0.01, "epsilon": 1e-10, "initial_accumulator": 0.0, "weight_decay": 0.0},
}

# torch's state key -> gozoo's slot name.
SLOTS = {
    "momentum_buffer": "momentum_buffer",
    "exp_avg": "m",
    "exp_avg_sq": "v",
    "square_avg": "square_avg",
    "sum": "sum",
}

# (name, kind, settings, learning rate of each step or None for constant)
CASES = [
    ("sgd/default", "sgd", {}, None),
    ("sgd/decay", "sgd", {"learning_rate": 0.1, "weight_decay": 0.1}, None),
    ("sgd/lr-change", "sgd", {"learning_rate": 0.1}, [0.1, 0.05, 0.2]),
    ("momentum/default", "momentum", {}, None),
    ("momentum/decay", "momentum", {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.05}, None),
    ("nesterov/default", "nesterov", {}, None),
    ("nesterov/decay", "nesterov", {"learning_rate": 0.1, "momentum": 0.8, "weight_decay": 0.05}, None),
    ("adam/default", "adam", {}, None),
    ("adam/decay", "adam", {"learning_rate": 0.1, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "weight_decay": 0.05}, None),
    ("adam/lr-change", "adam", {"learning_rate": 0.1}, [0.1, 0.01, 0.05]),
    ("adamw/default", "adamw", {}, None),
    ("adamw/decay", "adamw", {"learning_rate": 0.1, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "weight_decay": 0.1}, None),
    ("rmsprop/default", "rmsprop", {}, None),
    ("rmsprop/decay", "rmsprop", {"learning_rate": 0.05, "alpha": 0.9, "epsilon": 1e-6, "weight_decay": 0.05}, None),
    ("adagrad/default", "adagrad", {}, None),
    ("adagrad/decay", "adagrad", {"learning_rate": 0.1, "epsilon": 1e-6, "initial_accumulator": 0.1, "weight_decay": 0.05}, None),
]


def make(kind, s, params):
    lr, wd = s["learning_rate"], s["weight_decay"]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if kind in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=s["momentum"], weight_decay=wd, nesterov=kind == "nesterov")
    if kind in ("adam", "adamw"):
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        return cls(params, lr=lr, betas=(s["beta1"], s["beta2"]), eps=s["epsilon"], weight_decay=wd, foreach=False)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=s["alpha"], eps=s["epsilon"], weight_decay=wd, foreach=False)
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=s["epsilon"], weight_decay=wd,
                                   initial_accumulator_value=s["initial_accumulator"], foreach=False)
    raise ValueError(kind)


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def run(name, kind, settings, lrs):
    s = dict(DEFAULTS[kind], **settings)
    params = [torch.tensor(v, dtype=torch.float32).reshape(shape).requires_grad_() for _, shape, v in PARAMS]
    opt = make(kind, s, params)
    steps = []
    for k, grads in enumerate(GRADS):
        if lrs is not None:
            for group in opt.param_groups:
                group["lr"] = lrs[k]
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g, dtype=torch.float32).reshape(p.shape)
        opt.step()
        steps.append([flat(p) for p in params])
    state = {}
    for (pname, _, _), p in zip(PARAMS, params):
        for key, value in opt.state[p].items():
            if key in SLOTS and value is not None:
                state[pname + "/" + SLOTS[key]] = flat(value)
    return {"name": name, "kind": kind, "settings": settings, "lrs": lrs, "steps": steps, "state": state}


def main():
    out = {
        "source": "scripts/torch_optim_reference.py, torch " + torch.__version__,
        "params": [{"name": n, "shape": s, "value": v} for n, s, v in PARAMS],
        "grads": GRADS,
        "cases": [run(*c) for c in CASES],
    }
    path = sys.argv[1] if len(sys.argv) > 1 else "optim/testdata/torch_reference.json"
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
