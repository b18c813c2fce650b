"""Dense matmul and Linear: fastnn vs torch (and numpy) on square products and the seed networks' layers.

Napkin math: an (M x K) @ (K x N) product is 2*M*N*K FLOP; a Linear layer's backward is two such
products (dX = dY·W, dW = dYᵀ·X) plus a column sum, so forward+backward is 6*M*N*K FLOP. Rated in
GFLOP/s against the FMA ceiling (compute-bound: at M = 64 a weight element is reused 64 times, 128 FLOP
per 4 B read). torch runs with TF32 off on GPUs (fp32 products compared with fp32 products).
"""
from __future__ import annotations

import numpy as np

import fastnn

from .harness import Case

SQUARE = [256, 512, 1024, 2048, 4096]
# (batch, in_features, out_features): the CIFAR MLP at three batch sizes, its second layer, the MNIST
# CNN's first fully connected layer, and a small MLP layer.
LAYERS = [(16, 3072, 1000), (64, 3072, 1000), (256, 3072, 1000), (64, 1000, 500), (64, 3136, 128), (64, 784, 64)]


def _variant():
    return fastnn._C.selected_kernel("gemm_f32")


def _forward_variant(batch):
    """Linear's forward (X·Wᵀ) runs the unpacked inner-product kernels up to gemm_dot_max_m rows."""
    if batch <= fastnn._C.gemm_dot_max_m:
        return lambda: fastnn._C.selected_kernel("gemm_dot_f32")
    return _variant


def _step_variant(batch):
    return lambda: f"{_forward_variant(batch)()} + {_variant()}"


def _torch(device):
    import torch

    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
    return torch


def cases() -> list[Case]:
    out = []
    for n in SQUARE:
        def square(device, n=n):
            torch = _torch(device)
            a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
            c1, c2 = torch.empty(n, n, device=device), torch.empty(n, n, device=device)
            impls = {"fastnn": lambda: fastnn.ops.matmul(a, b, out=c1), "torch": lambda: torch.mm(a, b, out=c2)}
            if device == "cpu":
                an, bn, cn = a.numpy(), b.numpy(), np.empty((n, n), np.float32)
                impls["numpy"] = lambda: np.matmul(an, bn, out=cn)
            return impls

        out.append(Case("matmul", "matmul square", f"{n}x{n}x{n}", n * n, square, flops=2.0 * n ** 3,
                        napkin=f"2*{n}^3 FLOP", variant=_variant, quick=n in (256, 1024)))

    for batch, fin, fout in LAYERS:
        label = f"{batch}x{fin}->{fout}"
        mnk = batch * fin * fout

        def fwd(device, batch=batch, fin=fin, fout=fout):
            torch = _torch(device)
            x, w, b = (torch.randn(s, device=device) for s in [(batch, fin), (fout, fin), (fout,)])
            impls = {"fastnn": lambda: fastnn.ops.linear(x, w, b),
                     "torch": lambda: torch.nn.functional.linear(x, w, b)}
            if device == "cpu":
                xn, wn, bn = x.numpy(), w.numpy(), b.numpy()
                impls["numpy"] = lambda: xn @ wn.T + bn
            return impls

        def bwd(device, batch=batch, fin=fin, fout=fout):
            torch = _torch(device)
            x, w, g = (torch.randn(s, device=device) for s in [(batch, fin), (fout, fin), (batch, fout)])
            impls = {"fastnn": lambda: fastnn.ops.linear_backward(g, x, w),
                     "torch": lambda: (g @ w, g.t() @ x, g.sum(0))}
            if device == "cpu":
                xn, wn, gn = x.numpy(), w.numpy(), g.numpy()
                impls["numpy"] = lambda: (gn @ wn, gn.T @ xn, gn.sum(0))
            return impls

        def module(device, batch=batch, fin=fin, fout=fout):
            torch = _torch(device)
            import fastnn.nn

            ours = fastnn.nn.Linear(fin, fout, device=device)
            theirs = torch.nn.Linear(fin, fout, device=device)
            x = torch.randn(batch, fin, device=device, requires_grad=True)  # a hidden layer: dX is needed
            g = torch.randn(batch, fout, device=device)

            def step(m):
                x.grad = m.weight.grad = m.bias.grad = None
                m(x).backward(g)

            return {"fastnn": lambda: step(ours), "torch": lambda: step(theirs)}

        out += [
            Case("matmul", "linear fwd", label, mnk, fwd, flops=2.0 * mnk, napkin=f"2*{batch}*{fin}*{fout} FLOP",
                 variant=_forward_variant(batch), quick=batch == 64 and fin == 3072),
            Case("matmul", "linear bwd", label, mnk, bwd, flops=4.0 * mnk,
                 napkin=f"4*{batch}*{fin}*{fout} FLOP (dX, dW)", variant=_variant, quick=False),
            Case("matmul", "nn.Linear fwd+bwd (autograd)", label, mnk, module, flops=6.0 * mnk,
                 napkin=f"6*{batch}*{fin}*{fout} FLOP", variant=_step_variant(batch),
                 quick=batch == 64 and fin == 3072),
        ]
    return out
