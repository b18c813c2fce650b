"""ReLU forward and backward: fastnn vs torch (and numpy) on the seed networks' activation sizes.

Napkin math: relu reads 4 B and writes 4 B per float32 element (8 B/elem); relu_backward reads dy and y
and writes dx (12 B/elem). One comparison per element: memory-bound, rated in GB/s against the copy
ceiling. "new out" cases allocate the output each call, as torch.relu does (a fresh 64 MiB output is
page-faulted on first touch); "out=" cases reuse a preallocated output.
"""
from __future__ import annotations

import numpy as np

import fastnn

from .harness import Case

SHAPES = {
    "64x128 (MLP act.)": (64, 128),
    "64x32x28x28 (MNIST act.)": (64, 32, 28, 28),
    "16M": (16 * 1024 * 1024,),
}


def _variant(family: str, nbytes: int):
    return lambda: fastnn._C.selected_kernel(family, streaming=nbytes > fastnn.cpu_info()["llc_bytes"])


def cases() -> list[Case]:
    import torch

    out = []
    for label, shape in SHAPES.items():
        n = int(np.prod(shape))

        def fwd_new(device, shape=shape):
            x = torch.randn(shape, device=device)
            return {"fastnn": lambda: fastnn.ops.relu(x), "torch": lambda: torch.relu(x)}

        def fwd_out(device, shape=shape):
            x = torch.randn(shape, device=device)
            a, b = torch.zeros(shape, device=device), torch.zeros(shape, device=device)
            return {"fastnn": lambda: fastnn.ops.relu(x, out=a), "torch": lambda: torch.clamp_min(x, 0, out=b)}

        def fwd_numpy(device, shape=shape):
            x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
            return {"fastnn": lambda: fastnn.ops.relu(x), "numpy": lambda: np.maximum(x, 0)}

        def bwd_new(device, shape=shape):
            y, g = torch.randn(shape, device=device).relu(), torch.randn(shape, device=device)
            return {"fastnn": lambda: fastnn.ops.relu_backward(g, y),
                    "torch": lambda: torch.ops.aten.threshold_backward(g, y, 0.0)}

        fwd, bwd = _variant("relu_f32", 4 * n), _variant("relu_backward_f32", 4 * n)
        math = f"{n} elements x 8 B (read x, write y)"
        out += [
            Case("relu", "relu fwd (new out)", label, n, fwd_new, bytes=8 * n, napkin=math, variant=fwd),
            Case("relu", "relu fwd (out=)", label, n, fwd_out, bytes=8 * n, napkin=math, variant=fwd),
            Case("relu", "relu fwd numpy (new out)", label, n, fwd_numpy, bytes=8 * n, napkin=math, variant=fwd,
                 devices=("cpu",)),
            Case("relu", "relu bwd (new out)", label, n, bwd_new, bytes=12 * n, variant=bwd,
                 napkin=f"{n} elements x 12 B (read dy and y, write dx)"),
        ]
    return out
