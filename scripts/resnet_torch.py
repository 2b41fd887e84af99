#!/usr/bin/env python3
"""ResNet-20 in PyTorch: the twin of gozoo's zoo/resnet preset (resnet.ResNet20),
for side-by-side accuracy and speed (torch_resnet20_fashion.py, torch_resnet20_bench.py).

He et al. 2015 (arXiv:1512.03385), section 4.2, with n=3 (6n+2 = 20 layers):

    conv1 3x3 (in -> 16, stride 1, pad 1, no bias) - bn1 - relu
    layer1: 3 BasicBlocks, 16 filters, stride 1
    layer2: 3 BasicBlocks, 32 filters, the first with stride 2
    layer3: 3 BasicBlocks, 64 filters, the first with stride 2
    avgpool (AdaptiveAvgPool2d(1)) - flatten - fc = Linear(64, classes)

BasicBlock is torchvision's (models/resnet.py): conv1 3x3 (stride, no bias) - bn1 - relu -
conv2 3x3 (no bias) - bn2, out += identity, relu. identity is the input, or
downsample(x) = Sequential(conv1x1(stride, no bias), BatchNorm2d) where the shape changes
(the paper's option B; here the first blocks of layer2 and layer3). BatchNorm2d keeps
PyTorch's defaults (eps 1e-5, momentum 0.1).

Module names are torchvision's, so the state-dict keys are too: conv1.weight, bn1.weight,
bn1.running_mean, layer1.0.conv1.weight, layer2.0.downsample.0.weight,
layer2.0.downsample.1.running_mean, fc.weight, fc.bias. gozoo names the same tensors with
a slash before the last part ("layer2.0.downsample.0/weight").

Initialisation: every convolution kaiming_normal_(mode="fan_in", nonlinearity="relu"),
i.e. N(0, 2/fan_in), which is gozoo's He normal; BatchNorm weight 1, bias 0; the classifier
keeps PyTorch's default Linear init (fc_init="torch"). gozoo's resnet.New draws the
classifier weight from Glorot's uniform instead (bias 0): fc_init="glorot" gives that.

Parameters (count_params: trainable tensors; BN running statistics are buffers, not counted):

    resnet20(in_channels=3, classes=10): 272,474   (CIFAR-10, 3x32x32)
    resnet20(in_channels=1, classes=10): 272,186   (Fashion-MNIST, 1x28x28)

Self-check (counts, keys, shapes, and the block against torchvision's BasicBlock):

    /usr/bin/python3 scripts/resnet_torch.py

Use from a script in this folder:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from resnet_torch import resnet20, count_params
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before torch loads OpenBLAS (see torch_mnist.py)

import torch.nn as nn


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock (expansion 1, groups 1, dilation 1, BatchNorm2d)."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


class CifarResNet(nn.Module):
    """He et al.'s CIFAR ResNet of depth 6n+2 with stage widths `widths`."""

    def __init__(self, n=3, in_channels=3, classes=10, widths=(16, 32, 64), fc_init="torch"):
        super().__init__()
        if fc_init not in ("torch", "glorot"):
            raise ValueError("fc_init must be 'torch' or 'glorot', got %r" % (fc_init,))
        self.inplanes = widths[0]
        self.conv1 = conv3x3(in_channels, widths[0])
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(widths[0], n, stride=1)
        self.layer2 = self._make_layer(widths[1], n, stride=2)
        self.layer3 = self._make_layer(widths[2], n, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[2], classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if fc_init == "glorot":  # gozoo's resnet.New: Glorot uniform weight, zero bias
            nn.init.xavier_uniform_(self.fc.weight)
            nn.init.zeros_(self.fc.bias)

    def _make_layer(self, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(BasicBlock(planes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.avgpool(x)
        x = x.flatten(1)
        return self.fc(x)


def resnet20(in_channels=3, classes=10, fc_init="torch"):
    """ResNet-20 (n=3, 16/32/64 filters): 272,474 parameters for 3 input channels and
    10 classes, 272,186 for 1 channel."""
    return CifarResNet(n=3, in_channels=in_channels, classes=classes, fc_init=fc_init)


def count_params(model):
    """Number of trainable scalar parameters (BatchNorm running statistics are buffers)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _self_check():
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    counts = {}
    for cin, want, hw in ((3, 272474, 32), (1, 272186, 28)):
        m = resnet20(in_channels=cin)
        got = count_params(m)
        assert got == want, "resnet20(in_channels=%d): %d parameters, want %d" % (cin, got, want)
        counts[cin] = got
        m.eval()
        with torch.no_grad():
            y = m(torch.randn(2, cin, hw, hw))
        assert tuple(y.shape) == (2, 10), y.shape
    sd = resnet20().state_dict()
    for k in ("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
              "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.2.bn2.bias",
              "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_mean",
              "layer3.0.downsample.1.weight", "layer3.2.conv2.weight", "fc.weight", "fc.bias"):
        assert k in sd, "missing state-dict key " + k
    for k in sd:
        assert "downsample" not in k or k.startswith(("layer2.0.", "layer3.0.")), "unexpected " + k
    assert tuple(sd["layer2.0.downsample.0.weight"].shape) == (32, 16, 1, 1)
    assert tuple(sd["fc.weight"].shape) == (10, 64)
    # 20 weighted layers: 19 3x3 convolutions and the classifier (plus 2 projections).
    convs3 = [k for k, v in sd.items() if k.endswith("weight") and v.dim() == 4 and v.shape[-1] == 3]
    assert len(convs3) == 19, len(convs3)
    # Same block as torchvision's: copy weights into torchvision.models.resnet.BasicBlock.
    try:
        from torchvision.models.resnet import BasicBlock as TVBlock
    except ImportError:
        TVBlock = None
    if TVBlock is not None:
        ours = resnet20().layer2[0]
        tv = TVBlock(16, 32, 2, nn.Sequential(conv1x1(16, 32, 2), nn.BatchNorm2d(32)))
        assert list(tv.state_dict().keys()) == list(ours.state_dict().keys())
        tv.load_state_dict(ours.state_dict())
        x = torch.randn(4, 16, 8, 8)
        for mode in (True, False):
            ours.train(mode)
            tv.train(mode)
            with torch.no_grad():
                assert torch.equal(ours(x), tv(x)), "block differs from torchvision's (train=%s)" % mode
    print("ok: resnet20 %d parameters (3 channels), %d (1 channel); %d state-dict entries%s"
          % (counts[3], counts[1], len(sd), "; block matches torchvision's" if TVBlock else ""))


if __name__ == "__main__":
    _self_check()
