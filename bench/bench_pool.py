"""max_pool2d / avg_pool2d 2x2: fastnn vs torch on the seed CNN's activations.

Napkin math: a 2x2, stride-2 pooling reads 4 floats per output and writes 1 (forward: 5/4 of the input
size in bytes moved, 20 B per output); the backward reads the gradient and (max) the input again and
writes the input gradient. Memory-bound: rated in GB/s against the copy ceiling.
"""
from __future__ import annotations

import fastnn

from .harness import Case


def _max_backward_variant():
    return "portable + " + fastnn._C.selected_kernel("max_pool2x2_backward_f32")

SHAPES = [(64, 32, 28, 28), (64, 64, 14, 14)]


def cases() -> list[Case]:
    out = []
    for shape in SHAPES:
        n = shape[0] * shape[1] * shape[2] * shape[3]
        label = "x".join(map(str, shape))
        for kind in ("max", "avg"):
            def fwd(device, shape=shape, kind=kind):
                import torch

                import fastnn.functional as F

                x = torch.randn(shape, device=device)
                ours, theirs = (F.max_pool2d, torch.nn.functional.max_pool2d) if kind == "max" else \
                    (F.avg_pool2d, torch.nn.functional.avg_pool2d)
                return {"fastnn": lambda: ours(x, 2), "torch": lambda: theirs(x, 2)}

            def step(device, shape=shape, kind=kind):
                import torch

                import fastnn.nn

                ours = fastnn.nn.MaxPool2d(2) if kind == "max" else fastnn.nn.AvgPool2d(2)
                theirs = torch.nn.MaxPool2d(2) if kind == "max" else torch.nn.AvgPool2d(2)
                x = torch.randn(shape, device=device, requires_grad=True)
                g = torch.randn(shape[0], shape[1], shape[2] // 2, shape[3] // 2, device=device)

                def run(m):
                    x.grad = None
                    m(x).backward(g)

                return {"fastnn": lambda: run(ours), "torch": lambda: run(theirs)}

            fwd_bytes = 4 * n * 5 / 4
            bwd_bytes = 4 * n * (1 / 4 + (1 if kind == "max" else 0) + 1)
            out += [
                Case("pool", f"{kind}_pool2d 2x2 fwd", label, n, fwd, bytes=fwd_bytes,
                     napkin="read 4 floats, write 1 per output", variant=lambda: "portable"),
                Case("pool", f"nn.{kind.capitalize()}Pool2d 2x2 fwd+bwd", label, n, step, bytes=fwd_bytes + bwd_bytes,
                     napkin="forward, then read grad (+ input for max), write input grad",
                     variant=_max_backward_variant if kind == "max" else (lambda: "portable")),
            ]
    return out
