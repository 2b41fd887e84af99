#!/usr/bin/env python3
"""Regenerate the PyTorch ONNX fixtures of package onnx (onnx/testdata/torch).

    /usr/bin/python3 scripts/onnx_fixtures.py "$(go run ./scripts/mnistdir)" onnx/testdata/torch

Needs Debian's python3-torch and python3-numpy. For each of three
torch.nn.Sequential models (an MLP, a LeNet-5 and a small CNN with BatchNorm)
it trains briefly on MNIST (one thread, seeded; under a minute in all on a
2-core machine), exports the model with torch.onnx.export (opset 13, a
symbolic batch dimension) and writes:

    NAME.onnx               the exported model
    NAME_logits.json        PyTorch's logits on the first 100 MNIST test images
    NAME_predictions.txt    PyTorch's predicted digit for each of the 10,000
                            test images, one character per image
    manifest.json           versions, training settings and test accuracies

Inputs are pixel/255 as float32 (torchvision's ToTensor), with the shape the
model takes: [N, 784] for the MLP, [N, 1, 28, 28] for the CNNs.
"""
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def idx(path):
    with gzip.open(path) as f:
        magic = f.read(4)
        dims = struct.unpack(">" + "I" * magic[3], f.read(4 * magic[3]))
        return np.frombuffer(f.read(), np.uint8).reshape(dims)


def mnist(folder, split):
    prefix = "train" if split == "train" else "t10k"
    x = idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32) / 255
    y = idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x.reshape(-1, 1, 28, 28)), torch.from_numpy(y)


def mlp():
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.1),
        nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def bn_cnn():
    # Conv -> BatchNorm2d is folded into the Conv by the exporter (eval
    # mode); the BatchNorm2d after a ReLU and the BatchNorm1d after a
    # Linear stay BatchNormalization nodes. The padded AvgPool2d checks
    # count_include_pad.
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 12, 3), nn.ReLU(), nn.BatchNorm2d(12), nn.AvgPool2d(3, stride=2, padding=1),
        nn.Flatten(), nn.Linear(12 * 6 * 6, 32), nn.BatchNorm1d(32), nn.Sigmoid(), nn.Dropout(0.2),
        nn.Linear(32, 10), nn.Softmax(dim=1))


# name: (constructor, training images, flat input, final softmax)
MODELS = {
    "mlp": (mlp, 60000, True),
    "lenet5": (lenet5, 30000, False),
    "bn_cnn": (bn_cnn, 6400, False),
}


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    folder, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    xtrain, ytrain = mnist(folder, "train")
    xtest, ytest = mnist(folder, "test")
    manifest = {"torch": torch.__version__, "opset": 13, "models": {}}
    for name, (make, images, flat) in MODELS.items():
        torch.manual_seed(1)
        model = make()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss() if name != "bn_cnn" else nn.NLLLoss()
        start = time.time()
        model.train()
        order = torch.randperm(60000)[:images]
        for i in range(0, images, 64):
            batch = order[i:i + 64]
            opt.zero_grad()
            out_train = model(xtrain[batch])
            if name == "bn_cnn":
                out_train = torch.log(out_train + 1e-12)
            loss = loss_fn(out_train, ytrain[batch])
            loss.backward()
            opt.step()
        seconds = time.time() - start
        model.eval()
        shape = (-1, 784) if flat else (-1, 1, 28, 28)
        with torch.no_grad():
            logits = model(xtest[:100].reshape(shape))
            preds = torch.cat([model(xtest[i:i + 1000].reshape(shape)).argmax(1) for i in range(0, 10000, 1000)])
        correct = int((preds == ytest).sum())
        dummy = xtest[:2].reshape(shape)
        path = os.path.join(out, name + ".onnx")
        torch.onnx.export(model, dummy, path, opset_version=13, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        with open(os.path.join(out, name + "_logits.json"), "w") as f:
            json.dump([[float(v) for v in row] for row in logits.numpy()], f)
            f.write("\n")
        with open(os.path.join(out, name + "_predictions.txt"), "w") as f:
            f.write("".join(str(int(p)) for p in preds) + "\n")
        manifest["models"][name] = {"input_shape": list(shape[1:]), "train_images": images, "train_seconds": round(seconds, 1),
                                    "test_correct": correct, "test_accuracy": correct / 10000}
        print(f"{name}: trained on {images} images in {seconds:.1f} s, test accuracy {correct / 10000:.4f}", file=sys.stderr)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
