"""conv2d: fastnn vs torch on the seed networks' convolutions (MNIST CNN, a CIFAR stem, LeNet-5).

Napkin math: a forward convolution is 2 * N * C_out * OH * OW * (C_in / groups) * KH * KW FLOP; its
backward is two products of the same size (input and weight gradients), or one where the input needs
no gradient (a first layer, fed with images): fwd+bwd counts 3x (hidden layers) or 2x (first layers).
Rated in GFLOP/s against the FMA ceiling. fastnn runs its direct kernels where the output rows are as
wide as the input's (3x3 padding 1: the MNIST CNN, the CIFAR stem), im2col + its GEMM elsewhere (LeNet's
unpadded 5x5); torch runs oneDNN.
"""
from __future__ import annotations

import fastnn

from .harness import Case


def _variant(direct: bool):
    if direct:
        return lambda: fastnn._C.selected_kernel("conv_direct_f32")
    return lambda: "im2col + " + fastnn._C.selected_kernel("gemm_f32")

# (label, N, C_in, C_out, H, kernel, padding)
CONVS = [
    ("MNIST conv1", 64, 1, 32, 28, 3, 1),
    ("MNIST conv2", 64, 32, 64, 14, 3, 1),
    ("CIFAR stem", 64, 3, 32, 32, 3, 1),
    ("LeNet conv1", 64, 1, 6, 28, 5, 0),
    ("LeNet conv2", 64, 6, 16, 12, 5, 0),
]


def cases() -> list[Case]:
    out = []
    for label, n, cin, cout, h, k, pad in CONVS:
        oh = h + 2 * pad - k + 1
        direct = oh == h  # stride 1 here: the direct route applies when the rows keep their width
        fwd_flops = 2.0 * n * cout * oh * oh * cin * k * k
        first = cin <= 3  # an input layer: no gradient for the images
        shape = f"{n}x{cin}x{h}x{h}->{cout} {k}x{k} ({label})"

        def fwd(device, n=n, cin=cin, cout=cout, h=h, k=k, pad=pad):
            import torch

            import fastnn.functional as F

            x, w, b = torch.randn(n, cin, h, h, device=device), torch.randn(cout, cin, k, k, device=device), \
                torch.randn(cout, device=device)
            return {"fastnn": lambda: F.conv2d(x, w, b, 1, pad),
                    "torch": lambda: torch.nn.functional.conv2d(x, w, b, 1, pad)}

        def step(device, n=n, cin=cin, cout=cout, h=h, k=k, pad=pad, first=first):
            import torch

            import fastnn.nn

            ours = fastnn.nn.Conv2d(cin, cout, k, padding=pad, device=device)
            theirs = torch.nn.Conv2d(cin, cout, k, padding=pad, device=device)
            x = torch.randn(n, cin, h, h, device=device, requires_grad=not first)
            g = torch.randn(n, cout, h + 2 * pad - k + 1, h + 2 * pad - k + 1, device=device)

            def run(m):
                x.grad = m.weight.grad = m.bias.grad = None
                m(x).backward(g)

            return {"fastnn": lambda: run(ours), "torch": lambda: run(theirs)}

        quick = label in ("MNIST conv1", "MNIST conv2")
        out += [
            Case("conv", "conv2d fwd", shape, n, fwd, flops=fwd_flops, napkin="2*N*Cout*OH*OW*Cin*KH*KW FLOP",
                 quick=quick, variant=_variant(direct)),
            Case("conv", "nn.Conv2d fwd+bwd (autograd)", shape, n, step, flops=fwd_flops * (2 if first else 3),
                 napkin=f"forward x {2 if first else 3} ({'no input gradient' if first else 'with input gradient'})",
                 quick=quick, variant=_variant(direct)),
        ]
    return out
