#!/usr/bin/env python3
"""Write PyTorch graph models as ONNX, with inputs and PyTorch's logits, for
package onnx's graph import tests (onnx.TestImportPyTorchGraphs and
cmd/gozoo's graph import test call it into a temporary folder).

    /usr/bin/python3 scripts/onnx_graph_fixtures.py OUTDIR [NAME...]

Needs Debian's python3-torch and python3-torchvision (resnet18 only) and
numpy. NAME is one or more of (default: all):

    resnet18   torchvision.models.resnet18 (random weights, 1000 classes),
               3x224x224, exported in eval mode with torch's defaults: each
               BatchNorm2d is folded into the Conv before it (Conv with bias)
    resnet20   scripts/resnet_torch.py's ResNet-20 (CIFAR, 3x32x32, 10
               classes), exported with training=TrainingMode.PRESERVE and
               do_constant_folding=False on the eval-mode model, so that
               BatchNormalization nodes stay as such
    concat     a small net with two branches joined by torch.cat on the
               channels and a residual add, 3x16x16, 5 classes

Weights are seeded; every BatchNorm's weight, bias and running statistics
are moved off 1 and 0 so that a folding or epsilon mistake would show. For
each model it writes:

    NAME.onnx          torch.onnx.export, opset 13, symbolic batch dimension
    NAME_input.f32     the inputs, float32 little-endian, row-major
    NAME_logits.f32    PyTorch's logits on them, the same way

and prints one JSON line per model (shape, rows, bytes, seconds).
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class ConcatNet(nn.Module):
    """A stem, two branches concatenated on the channels (torch.cat, ONNX
    Concat axis 1), a residual add, global average pooling and a Linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.a = nn.Conv2d(8, 4, 1)
        self.b = nn.Sequential(nn.Conv2d(8, 4, 3, stride=1, padding=1), nn.ReLU(), nn.BatchNorm2d(4))
        self.pool = nn.MaxPool2d(2)
        self.proj = nn.Conv2d(8, 8, 1, stride=2, bias=False)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x)
        y = torch.cat([self.a(x), self.b(x)], dim=1)
        y = torch.relu(self.pool(y) + self.proj(x))
        y = nn.functional.adaptive_avg_pool2d(y, 1)
        return self.fc(torch.flatten(y, 1))


def resnet18():
    import torchvision
    return torchvision.models.resnet18(weights=None)


def resnet20():
    from resnet_torch import resnet20 as make
    return make(3, 10)


# name: (constructor, per-sample shape, rows, keep BatchNormalization)
MODELS = {
    "resnet18": (resnet18, (3, 224, 224), 2, False),
    "resnet20": (resnet20, (3, 32, 32), 8, True),
    "concat": (ConcatNet, (3, 16, 16), 8, False),
}


def perturb(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(0.5 + 0.5 * torch.rand(c, generator=gen))
                m.bias.copy_(0.2 * torch.randn(c, generator=gen))
                m.running_mean.copy_(0.2 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    out, names = sys.argv[1], sys.argv[2:] or list(MODELS)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    for name in names:
        if name not in MODELS:
            raise SystemExit(f"unknown model {name!r}; known: {', '.join(MODELS)}")
        make, shape, rows, keep_bn = MODELS[name]
        start = time.time()
        torch.manual_seed(7)
        model = make()
        gen = torch.Generator().manual_seed(11)
        perturb(model, gen)
        model.eval()
        x = torch.rand((rows,) + shape, generator=gen)
        with torch.no_grad():
            logits = model(x)
        path = os.path.join(out, name + ".onnx")
        kw = {}
        if keep_bn:
            kw = {"training": torch.onnx.TrainingMode.PRESERVE, "do_constant_folding": False}
        torch.onnx.export(model, x[:1], path, opset_version=13, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **kw)
        x.numpy().astype("<f4").tofile(os.path.join(out, name + "_input.f32"))
        logits.numpy().astype("<f4").tofile(os.path.join(out, name + "_logits.f32"))
        print(json.dumps({"name": name, "torch": torch.__version__, "shape": list(shape), "rows": rows,
                          "classes": int(logits.shape[1]), "bytes": os.path.getsize(path),
                          "max_abs_logit": float(np.abs(logits.numpy()).max()),
                          "seconds": round(time.time() - start, 2)}))


if __name__ == "__main__":
    main()
