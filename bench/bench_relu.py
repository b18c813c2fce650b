"""ReLU forward and backward: fastnn vs torch (and numpy), side by side in one process.

Napkin math: relu reads 4 B and writes 4 B per float32 element (8 B/elem); relu_backward reads dy and y
and writes dx (12 B/elem). Memory-bound: compare GB/s with the machine's copy bandwidth (~27 GB/s here).
Out-of-place cases also pay for first-touching a fresh output (page faults), which fastnn reduces with
a transparent-huge-page hint on large outputs; "out=" cases reuse a preallocated output.

Usage: python bench/bench_relu.py [--repeats 21] [--threads N] [--json out.json] [--quick]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

import fastnn

sys.path.insert(0, os.path.dirname(__file__))
from harness import compare, print_table, write_json  # noqa: E402

SIZES = {"64x32x28x28 (MNIST act.)": (64, 32, 28, 28), "16M": (16 * 1024 * 1024,)}


def variant(family: str, nbytes: int) -> str:
    return fastnn._C.selected_kernel(family, streaming=nbytes > fastnn.cpu_info()["llc_bytes"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=21)
    p.add_argument("--threads", type=int, default=None, help="fastnn and torch threads (default: all CPUs)")
    p.add_argument("--json", default=None)
    p.add_argument("--quick", action="store_true", help="7 repeats")
    a = p.parse_args(argv)
    repeats = 7 if a.quick else a.repeats
    if a.threads:
        fastnn.set_num_threads(a.threads)
        torch.set_num_threads(a.threads)
    info = fastnn.cpu_info()
    print(f"fastnn {fastnn.__version__}  isa={info['isa']}  threads={fastnn.get_num_threads()}  "
          f"torch {torch.__version__} threads={torch.get_num_threads()}  cpu={info['vendor']} {info['brand']}")
    results = []
    for label, shape in SIZES.items():
        n = int(np.prod(shape))
        x = torch.randn(shape)
        y = torch.randn(shape)
        out_a, out_b = torch.empty(shape), torch.empty(shape)
        out_a.fill_(0), out_b.fill_(0)
        xn = x.numpy()
        fwd = variant("relu_f32", 4 * n)
        bwd = variant("relu_backward_f32", 4 * n)
        results += compare("relu fwd (new out)", label,
                           {"fastnn": lambda: fastnn.ops.relu(x), "torch": lambda: torch.relu(x)},
                           8 * n, {"fastnn": fwd}, repeats)
        results += compare("relu fwd (out=)", label,
                           {"fastnn": lambda: fastnn.ops.relu(x, out=out_a),
                            "torch": lambda: torch.clamp_min(x, 0, out=out_b)},
                           8 * n, {"fastnn": fwd}, repeats)
        results += compare("relu fwd numpy (new out)", label,
                           {"fastnn": lambda: fastnn.ops.relu(xn), "numpy": lambda: np.maximum(xn, 0)},
                           8 * n, {"fastnn": fwd}, repeats)
        results += compare("relu bwd (new out)", label,
                           {"fastnn": lambda: fastnn.ops.relu_backward(y, x),
                            "torch": lambda: torch.ops.aten.threshold_backward(y, x, 0.0)},
                           12 * n, {"fastnn": bwd}, repeats)
    print_table(results)
    if a.json:
        write_json(a.json, results, {"cpu_info": info, "torch": torch.__version__, "repeats": repeats})


if __name__ == "__main__":
    main()
