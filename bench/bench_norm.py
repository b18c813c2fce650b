"""BatchNorm2d on the seed CNN's activations and LayerNorm on a (batch, sequence, features) tensor: fastnn
vs torch, training-mode forward and forward+backward through the modules.

Napkin math: a training forward reads x twice (the statistics, then the normalization) and writes y
(12 B/elem); the backward reads gy and x for the sums, then gy and x again and writes gx (20 B/elem).
Memory-bound: rated in GB/s against the copy ceiling (64x32x28x28 float32 is 6.4 MB: cache-resident).
"""
from __future__ import annotations

import fastnn

from .harness import Case


def _variant():
    return fastnn._C.selected_kernel("norm_f32")


def _case(label, shape, make_modules):
    n = 1
    for d in shape:
        n *= d

    def fwd(device, shape=shape):
        import torch
        ours, theirs = make_modules(device)
        x = torch.randn(shape, device=device)
        return {"fastnn": lambda: ours(x), "torch": lambda: theirs(x)}

    def step(device, shape=shape):
        import torch
        ours, theirs = make_modules(device)
        x = torch.randn(shape, device=device, requires_grad=True)
        g = torch.randn(shape, device=device)

        def run(m):
            x.grad = None
            for p in m.parameters():
                p.grad = None
            m(x).backward(g)

        return {"fastnn": lambda: run(ours), "torch": lambda: run(theirs)}

    shape_s = "x".join(map(str, shape))
    return [Case("norm", f"{label} fwd (train)", shape_s, n, fwd, bytes=12 * n, quick=label == "BatchNorm2d",
                 napkin="statistics pass (read x), normalize pass (read x, write y)", variant=_variant),
            Case("norm", f"{label} fwd+bwd (train)", shape_s, n, step, bytes=32 * n, quick=False,
                 napkin="forward 12 B/elem + backward sums (read gy, x) and input grad (read gy, x, write gx)",
                 variant=_variant)]


def cases() -> list[Case]:
    def bn(device):
        import torch

        import fastnn.nn
        return fastnn.nn.BatchNorm2d(32, device=device), torch.nn.BatchNorm2d(32, device=device)

    def ln(device):
        import torch

        import fastnn.nn
        return fastnn.nn.LayerNorm(256, device=device), torch.nn.LayerNorm(256, device=device)

    return _case("BatchNorm2d", (64, 32, 28, 28), bn) + _case("LayerNorm", (32, 64, 256), ln)
