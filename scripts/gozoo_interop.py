#!/usr/bin/env python3
"""Read gozoo model files from Python: numpy for the file, PyTorch for the model.

A gozoo model file is a safetensors file (8-byte little-endian header length,
JSON header, raw little-endian float32 data). This script parses it with the
json module and numpy alone, so it needs no safetensors package.

    python3 gozoo_interop.py info MODEL.safetensors
    python3 gozoo_interop.py logits MODEL.safetensors INPUTS.f32 N
        # numpy-only forward pass of an MLP on N float32 rows; prints logits as JSON
    python3 gozoo_interop.py zeros MODEL.safetensors
        # counts the exact zeros of every tensor: {name: [zeros, size]}
    python3 gozoo_interop.py torch-eval MODEL.safetensors MNIST_DIR
        # loads the weights into the matching torch.nn module and prints the
        # MNIST test accuracy (mlp and lenet5 kinds)

Layout notes: gozoo stores a Dense weight as [in, out] (x @ W + b), the
transpose of torch.nn.Linear's [out, in]; Conv2D weights are [out, in, kh, kw]
as in PyTorch.
"""
import gzip
import json
import struct
import sys

import numpy as np


def load(path):
    """Returns (metadata dict, {name: numpy float32 array}) in header order;
    int8 weights of a quantized file come back dequantized."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = blob[8 + n:]
    tensors = {}
    for name, info in header.items():
        dtypes = {"F32": "<f4", "I8": "i1"}
        if info["dtype"] not in dtypes:
            raise ValueError(f"{name}: dtype {info['dtype']} is neither F32 nor I8")
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    if "quantization" in meta:
        # int8 weights: w = q * scale, the scale per output channel.
        q = json.loads(meta["quantization"])
        for name, axis in q["weights"].items():
            scale = tensors.pop("scale/" + name)
            shape = [1] * tensors[name].ndim
            shape[axis] = -1
            tensors[name] = tensors[name].astype(np.float32) * scale.reshape(shape)
    return meta, tensors


def mlp_logits(meta, tensors, x):
    """Forward pass of a gozoo MLP with numpy."""
    cfg = json.loads(meta["config"])
    act = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh,
           "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[cfg.get("activation") or "relu"]
    layers = len(cfg.get("hidden") or []) + 1
    h = x.astype(np.float32)
    for i in range(1, layers + 1):
        h = h @ tensors[f"dense{i}/weight"] + tensors[f"dense{i}/bias"]
        if i < layers:
            h = act(h)
    return h


def torch_module(meta, tensors):
    import torch
    import torch.nn as nn

    kind = meta["kind"]
    cfg = json.loads(meta["config"])
    if kind == "mlp":
        act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[cfg.get("activation") or "relu"]
        sizes = [cfg["inputs"]] + (cfg.get("hidden") or []) + [cfg["outputs"]]
        mods = [nn.Flatten()]
        for i in range(len(sizes) - 1):
            mods.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                mods.append(act())
        net = nn.Sequential(*mods)
        linears = [m for m in net if isinstance(m, nn.Linear)]
        for i, lin in enumerate(linears, 1):
            lin.weight.data = torch.from_numpy(tensors[f"dense{i}/weight"].T.copy())
            lin.bias.data = torch.from_numpy(tensors[f"dense{i}/bias"].copy())
        return net
    if kind == "lenet5":
        c, _, _ = cfg.get("input_shape") or [1, 28, 28]
        classes = cfg.get("classes") or 10
        convs = sorted(k[: -len("/weight")] for k in tensors if k.endswith("/weight") and tensors[k].ndim == 4)
        denses = sorted(k[: -len("/weight")] for k in tensors if k.endswith("/weight") and tensors[k].ndim == 2)
        net = nn.Sequential(
            nn.Conv2d(c, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(tensors[denses[0] + "/weight"].shape[0], 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, classes))
        for mod, name in zip([m for m in net if isinstance(m, nn.Conv2d)], convs):
            mod.weight.data = torch.from_numpy(tensors[name + "/weight"].copy())
            mod.bias.data = torch.from_numpy(tensors[name + "/bias"].copy())
        for mod, name in zip([m for m in net if isinstance(m, nn.Linear)], denses):
            mod.weight.data = torch.from_numpy(tensors[name + "/weight"].T.copy())
            mod.bias.data = torch.from_numpy(tensors[name + "/bias"].copy())
        return net
    raise SystemExit(f"torch-eval supports mlp and lenet5 files, not {kind}")


def idx(path):
    with gzip.open(path) as f:
        magic = f.read(4)
        dims = struct.unpack(">" + "I" * magic[3], f.read(4 * magic[3]))
        return np.frombuffer(f.read(), np.uint8).reshape(dims)


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "info":
        meta, tensors = load(sys.argv[2])
        print(json.dumps({"metadata": meta, "tensors": {k: list(v.shape) for k, v in tensors.items()}}, indent=1))
    elif cmd == "logits":
        meta, tensors = load(sys.argv[2])
        rows = int(sys.argv[4])
        x = np.fromfile(sys.argv[3], dtype="<f4").reshape(rows, -1)
        print(json.dumps(mlp_logits(meta, tensors, x).astype(float).tolist()))
    elif cmd == "zeros":
        meta, tensors = load(sys.argv[2])
        print(json.dumps({k: [int((v == 0).sum()), int(v.size)] for k, v in tensors.items()}))
    elif cmd == "torch-eval":
        import torch

        meta, tensors = load(sys.argv[2])
        net = torch_module(meta, tensors).eval()
        spec = json.loads(meta.get("input", "{}"))
        mean, std = (spec.get("mean") or [0])[0], (spec.get("std") or [1])[0]
        images = idx(sys.argv[3] + "/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255
        labels = idx(sys.argv[3] + "/t10k-labels-idx1-ubyte.gz").astype(np.int64)
        x = torch.from_numpy((images - mean) / std).reshape(-1, 1, 28, 28)
        with torch.no_grad():
            pred = net(x).argmax(1).numpy()
        print(json.dumps({"kind": meta["kind"], "test_accuracy": float((pred == labels).mean()), "test_samples": len(labels)}))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
