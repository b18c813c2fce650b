"""Pointwise losses (mse, l1, smooth_l1, huber, BCE, BCE with logits): fastnn vs torch, forward + backward
through autograd, on 16M elements and on a small regression head (64x4, the phone-price classifier's
output).

Napkin math: the forward reads input and target (8 B/elem) and reduces; the backward reads them again and
writes the gradient (12 B/elem): 20 B/elem, rated in GB/s against the copy ceiling.
CUDA: not yet (CPU only).
"""
from __future__ import annotations

import fastnn

from .harness import Case

SHAPES = {"16M": (16 * 1024 * 1024,), "64x4": (64, 4)}
LOSSES = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
          "binary_cross_entropy_with_logits"]


def _variant():
    return fastnn._C.selected_kernel("loss_f32")


def cases() -> list[Case]:
    import numpy as np

    out = []
    for label, shape in SHAPES.items():
        n = int(np.prod(shape))
        for name in LOSSES:
            def setup(device, shape=shape, name=name):
                import torch

                import fastnn.functional as F
                x = torch.randn(shape, device=device)
                if name == "binary_cross_entropy":
                    x = torch.sigmoid(x)
                x.requires_grad_()
                y = torch.rand(shape, device=device)

                def run(fn):
                    x.grad = None
                    fn(x, y).backward()

                return {"fastnn": lambda: run(getattr(F, name)), "torch": lambda: run(getattr(torch.nn.functional, name))}

            out.append(Case("loss", f"{name} fwd+bwd (autograd)", label, n, setup, bytes=20 * n,
                            quick=name == "mse_loss" and label == "16M", variant=_variant,
                            napkin=f"{n} elements x 20 B (fwd reads x, y; bwd reads x, y, writes dx)"))
    return out
