"""Optimizer steps: fastnn.optim vs torch.optim on the issue's parameter sets.

Napkin math: Adam/AdamW read p, g, m, v and write p, m, v: 28 B per float32 parameter, one pass (the
whole job is memory traffic); SGD with momentum reads p, g, buf and writes p, buf: 20 B. Rated in GB/s
against the copy ceiling. "vs fused" compares with torch's fused CPU kernel (``fused=True``), "vs default"
with torch's default (foreach) implementation. The step count grows with every timed call, as in training.
"""
from __future__ import annotations

import fastnn

from .harness import Case

PARAM_SETS = {
    "10M in 10 tensors": [(1_000_000,)] * 10,
    "100M in 20 tensors": [(5_000_000,)] * 20,
    "MNIST CNN (seed)": [(32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 3136), (128,), (10, 128), (10,)],
    "CIFAR MLP 3072-1000-500-10": [(1000, 3072), (1000,), (500, 1000), (500,), (10, 500), (10,)],
}


def _variant():
    return fastnn._C.selected_kernel("optim_f32")


def _setup(shapes, ours_cls, theirs_cls, theirs_kw, kw):
    def setup(device):
        import torch

        gen = torch.Generator(device=device).manual_seed(0)
        ours = [torch.randn(s, device=device, generator=gen).requires_grad_() for s in shapes]
        theirs = [p.detach().clone().requires_grad_() for p in ours]
        for a, b in zip(ours, theirs):
            a.grad = torch.randn(a.shape, device=device, generator=gen) * 1e-3
            b.grad = a.grad.clone()
        o1, o2 = ours_cls(ours, **kw), theirs_cls(theirs, **kw, **theirs_kw)
        return {"fastnn": o1.step, "torch": o2.step}
    return setup


def cases() -> list[Case]:
    import torch

    import fastnn.optim as optim

    out = []
    for label, shapes in PARAM_SETS.items():
        n = sum(int(torch.Size(s).numel()) for s in shapes)
        big = n > 50_000_000
        for versus, theirs_kw in (("fused", dict(fused=True)), ("default", {})):
            out.append(Case("optim", f"Adam step vs {versus}", label, n,
                            _setup(shapes, optim.Adam, torch.optim.Adam, theirs_kw, dict(lr=1e-3)), bytes=28 * n,
                            quick=label.startswith("10M") and versus == "fused", variant=_variant,
                            napkin=f"{n} params x 28 B (read p, g, m, v; write p, m, v)"))
        if not big:
            out.append(Case("optim", "AdamW step vs fused", label, n,
                            _setup(shapes, optim.AdamW, torch.optim.AdamW, dict(fused=True), dict(lr=1e-3)),
                            bytes=28 * n, quick=False, variant=_variant,
                            napkin=f"{n} params x 28 B (read p, g, m, v; write p, m, v)"))
            out.append(Case("optim", "SGD momentum step vs default", label, n,
                            _setup(shapes, optim.SGD, torch.optim.SGD, {}, dict(lr=1e-2, momentum=0.9)),
                            bytes=20 * n, quick=False, variant=_variant,
                            napkin=f"{n} params x 20 B (read p, g, buf; write p, buf)"))
    return out
