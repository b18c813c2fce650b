"""Dropout forward + backward through autograd (p = 0.2): fastnn vs torch, on 16M elements and on the
phone-price classifier's hidden layer (64x128).

Napkin math: forward reads x, writes y and a 1-bit mask (8.125 B/elem), backward reads dy and the mask and
writes dx (8.125 B/elem): ~16 B/elem. The random stream is splitmix64 on a counter (csrc/ops/dropout.h).
CUDA: not yet (CPU only).
"""
from __future__ import annotations

from .harness import Case

SHAPES = {"16M": (16 * 1024 * 1024,), "64x128": (64, 128)}


def cases() -> list[Case]:
    out = []
    for label, shape in SHAPES.items():
        n = 1
        for d in shape:
            n *= d

        def setup(device, shape=shape):
            import torch

            import fastnn.functional as F
            x = torch.randn(shape, device=device, requires_grad=True)
            g = torch.ones(shape, device=device)

            def run(fn):
                x.grad = None
                fn(x, 0.2).backward(g)

            return {"fastnn": lambda: run(F.dropout), "torch": lambda: run(torch.nn.functional.dropout)}

        out.append(Case("dropout", "dropout fwd+bwd (autograd)", label, n, setup, bytes=16 * n, quick=False,
                        napkin=f"{n} elements x ~16 B (x, y, dy, dx and 2 bits of mask)",
                        variant=lambda: "portable (splitmix64 counter stream)"))
    return out
