#!/usr/bin/env python3
"""Check an ONNX file with onnx.checker and run it with OpenCV's dnn module.

    /usr/bin/python3 scripts/onnx_check.py MODEL.onnx INPUTS.f32 ROWS OUTPUTS.f32

Needs Debian's python3-onnx, python3-opencv and python3-numpy. Runs
onnx.checker.check_model with full_check (which includes strict shape
inference), then cv2.dnn.readNetFromONNX, feeds ROWS float32 samples read
from INPUTS.f32 (little-endian, row-major, each of the model's per-sample
input shape), and writes the outputs to OUTPUTS.f32 the same way. Prints one
JSON line: the versions, the input and output shapes, and the model's
metadata_props.
"""
import json
import sys

import cv2
import numpy as np
import onnx


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    path, inputs, rows, outputs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    shape = [rows] + [d.dim_value for d in dims[1:]]
    x = np.fromfile(inputs, dtype="<f4").reshape(shape)
    net = cv2.dnn.readNetFromONNX(path)
    net.setInput(x)
    y = net.forward()
    y.astype("<f4").tofile(outputs)
    print(json.dumps({"onnx": onnx.__version__, "opencv": cv2.__version__, "ir_version": model.ir_version,
                      "opset": [o.version for o in model.opset_import], "input": shape, "output": list(y.shape),
                      "metadata": {p.key: p.value for p in model.metadata_props}}))


if __name__ == "__main__":
    main()
