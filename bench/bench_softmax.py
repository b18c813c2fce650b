"""softmax / log_softmax and cross-entropy: fastnn vs torch on the seed networks' logits (64x10) and on
large classifier heads (4096x1000, 256x10000).

Napkin math: softmax reads x and writes y (8 B/elem) with an exp per element; its backward reads dy and y
and writes dx (12 B/elem). cross-entropy fwd+bwd (autograd): fastnn reads x once and writes the gradient
for an upstream 1 in the forward (8 B/elem); the backward hands that tensor over (scaled in place when the
upstream gradient is not 1): 8 B/elem; torch writes the log-softmax and builds the gradient in two more
passes. Rated in GB/s of that napkin traffic. With class-probability targets the forward also reads the
targets (+4 B/elem). nll_loss fwd+bwd reads one
value per row and writes the (mostly zero) gradient: 4 B/elem. The same cases run on CUDA when a GPU is
present.
"""
from __future__ import annotations

import fastnn

from .harness import Case

SHAPES = {"64x10 (MNIST logits)": (64, 10), "4096x1000": (4096, 1000), "256x10000": (256, 10000)}


def _variant():
    return fastnn._C.selected_kernel("softmax_f32")


def cases() -> list[Case]:
    out = []
    for label, (n, c) in SHAPES.items():
        elems = n * c
        quick = label == "4096x1000"

        def fwd(device, n=n, c=c):
            import torch

            import fastnn.functional as F
            x = torch.randn(n, c, device=device)
            return {"fastnn": lambda: F.softmax(x, 1), "torch": lambda: torch.nn.functional.softmax(x, 1)}

        def log_fwd_bwd(device, n=n, c=c):
            import torch

            import fastnn.functional as F
            x = torch.randn(n, c, device=device, requires_grad=True)
            g = torch.randn(n, c, device=device)

            def run(fn):
                x.grad = None
                fn(x, 1).backward(g)

            return {"fastnn": lambda: run(F.log_softmax), "torch": lambda: run(torch.nn.functional.log_softmax)}

        def ce(device, n=n, c=c):
            import torch

            import fastnn.functional as F
            x = torch.randn(n, c, device=device, requires_grad=True)
            t = torch.randint(0, c, (n,), device=device)

            def run(fn):
                x.grad = None
                fn(x, t).backward()

            return {"fastnn": lambda: run(F.cross_entropy), "torch": lambda: run(torch.nn.functional.cross_entropy)}

        def ce_probs(device, n=n, c=c):
            import torch

            import fastnn.functional as F
            x = torch.randn(n, c, device=device, requires_grad=True)
            y = torch.softmax(torch.randn(n, c, device=device), 1)

            def run(fn):
                x.grad = None
                fn(x, y, label_smoothing=0.1).backward()

            return {"fastnn": lambda: run(F.cross_entropy), "torch": lambda: run(torch.nn.functional.cross_entropy)}

        def nll(device, n=n, c=c):
            import torch

            import fastnn.functional as F
            x = torch.log_softmax(torch.randn(n, c, device=device), 1).requires_grad_()
            t = torch.randint(0, c, (n,), device=device)

            def run(fn):
                x.grad = None
                fn(x, t).backward()

            return {"fastnn": lambda: run(F.nll_loss), "torch": lambda: run(torch.nn.functional.nll_loss)}

        out += [
            Case("softmax", "softmax fwd", label, elems, fwd, bytes=8 * elems, quick=quick, variant=_variant,
                 napkin=f"{elems} elements x 8 B (read x, write y), one exp each"),
            Case("softmax", "log_softmax fwd+bwd (autograd)", label, elems, log_fwd_bwd, bytes=20 * elems,
                 variant=_variant, napkin=f"{elems} elements x 20 B (fwd 8, bwd 12)"),
            Case("softmax", "cross_entropy fwd+bwd (autograd)", label, elems, ce, bytes=8 * elems, quick=True,
                 variant=_variant, napkin=f"{elems} elements x 8 B (fused fwd: read x, write the gradient)"),
            Case("softmax", "cross_entropy probs fwd+bwd (autograd)", label, elems, ce_probs, bytes=12 * elems,
                 variant=_variant, napkin=f"{elems} elements x 12 B (fused fwd: read x and y, write the gradient)"),
            Case("softmax", "nll_loss fwd+bwd (autograd)", label, elems, nll, bytes=4 * elems,
                 napkin=f"{elems} elements x 4 B (the gradient's write)"),
        ]
    return out
