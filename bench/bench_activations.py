"""Elementwise activations (leaky_relu, elu, sigmoid, tanh, gelu (erf and tanh forms), silu, hardtanh, softplus):
fastnn.ops vs torch on 16M elements and on the MNIST CNN's activation shape.

Napkin math: a forward reads 4 B and writes 4 B per float32 element (8 B/elem), a backward reads dy and the
saved operand and writes dx (12 B/elem); rated in GB/s against the copy ceiling. The transcendental ones
cost 20-40 vector instructions per 16 elements: compute and memory are close on this machine. "new out"
allocates the output each call, as torch does (a fresh 64 MiB output is page-faulted: see faults/call);
"out=" reuses one (the kernel's own bandwidth). "denormal x": the out= case on inputs that are all float32
denormals (fastnn leaves FTZ/DAZ off, as torch does: compare with the out= row for the slowdown).
"""
from __future__ import annotations

import fastnn

from .harness import Case

SHAPES = {"16M": (16 * 1024 * 1024,), "64x32x28x28 (MNIST act.)": (64, 32, 28, 28)}

# name: (fastnn forward, torch forward, fastnn backward (g, x, y), torch backward (g, x, y))
ACTS = {
    "leaky_relu": ("leaky_relu", lambda F: lambda x: F.leaky_relu(x, 0.01),
                   lambda g, x, y: fastnn.ops.leaky_relu_backward(g, x, 0.01), "leaky_relu_backward"),
    "elu": ("elu", lambda F: lambda x: F.elu(x), lambda g, x, y: fastnn.ops.elu_backward(g, x), "elu_backward"),
    "sigmoid": ("sigmoid", lambda F: lambda x: F.sigmoid(x), lambda g, x, y: fastnn.ops.sigmoid_backward(g, y),
                "sigmoid_backward"),
    "tanh": ("tanh", lambda F: lambda x: F.tanh(x), lambda g, x, y: fastnn.ops.tanh_backward(g, y), "tanh_backward"),
    "gelu (erf)": ("gelu", lambda F: lambda x: F.gelu(x), lambda g, x, y: fastnn.ops.gelu_backward(g, x),
                   "gelu_erf_backward"),
    "gelu (tanh)": ("gelu", lambda F: lambda x: F.gelu(x, approximate="tanh"),
                    lambda g, x, y: fastnn.ops.gelu_backward(g, x, "tanh"), "gelu_backward"),
    "silu": ("silu", lambda F: lambda x: F.silu(x), lambda g, x, y: fastnn.ops.silu_backward(g, x), "silu_backward"),
    "hardtanh": ("hardtanh", lambda F: lambda x: F.hardtanh(x), lambda g, x, y: fastnn.ops.hardtanh_backward(g, x),
                 "hardtanh_backward"),
    "softplus": ("softplus", lambda F: lambda x: F.softplus(x), lambda g, x, y: fastnn.ops.softplus_backward(g, x),
                 "softplus_backward"),
}


def _torch_backward(name, g, x, y):
    import torch

    aten = torch.ops.aten
    return {"leaky_relu_backward": lambda: aten.leaky_relu_backward(g, x, 0.01, False),
            "elu_backward": lambda: aten.elu_backward(g, 1.0, 1.0, 1.0, False, x),
            "sigmoid_backward": lambda: aten.sigmoid_backward(g, y),
            "tanh_backward": lambda: aten.tanh_backward(g, y),
            "gelu_backward": lambda: aten.gelu_backward(g, x, approximate="tanh"),
            "gelu_erf_backward": lambda: aten.gelu_backward(g, x),
            "silu_backward": lambda: aten.silu_backward(g, x),
            "hardtanh_backward": lambda: aten.hardtanh_backward(g, x, -1.0, 1.0),
            "softplus_backward": lambda: aten.softplus_backward(g, x, 1.0, 20.0)}[name]


def _out_impls(act, x, a, b):
    """fastnn.ops' forward into a and torch's aten .out overload into b (no allocation on either side)."""
    import torch

    aten, ops = torch.ops.aten, fastnn.ops
    return {"leaky_relu": (lambda: ops.leaky_relu(x, 0.01, out=a), lambda: aten.leaky_relu.out(x, 0.01, out=b)),
            "elu": (lambda: ops.elu(x, out=a), lambda: aten.elu.out(x, out=b)),
            "sigmoid": (lambda: ops.sigmoid(x, out=a), lambda: aten.sigmoid.out(x, out=b)),
            "tanh": (lambda: ops.tanh(x, out=a), lambda: aten.tanh.out(x, out=b)),
            "gelu (erf)": (lambda: ops.gelu(x, out=a), lambda: aten.gelu.out(x, out=b)),
            "gelu (tanh)": (lambda: ops.gelu(x, "tanh", out=a), lambda: aten.gelu.out(x, approximate="tanh", out=b)),
            "silu": (lambda: ops.silu(x, out=a), lambda: aten.silu.out(x, out=b)),
            "hardtanh": (lambda: ops.hardtanh(x, out=a), lambda: aten.hardtanh.out(x, out=b)),
            "softplus": (lambda: ops.softplus(x, out=a), lambda: aten.softplus.out(x, out=b))}[act]


def _variant(nbytes):
    return lambda: fastnn._C.selected_kernel("activation_f32") + (" (streaming stores)" if nbytes > fastnn.cpu_info()["llc_bytes"] else "")


def cases() -> list[Case]:
    import numpy as np

    out = []
    for label, shape in SHAPES.items():
        n = int(np.prod(shape))
        for act, (ops_name, fwd, bwd, torch_bwd) in ACTS.items():
            quick = act == "tanh" and label == "16M"

            def new_out(device, shape=shape, fwd=fwd):
                import torch

                import fastnn.functional as F
                x = torch.randn(shape, device=device)
                return {"fastnn": lambda: fwd(F)(x), "torch": lambda: fwd(torch.nn.functional)(x)}

            def into_out(device, shape=shape, act=act):
                import torch
                x = torch.randn(shape, device=device)
                a, b = torch.zeros(shape, device=device), torch.zeros(shape, device=device)
                ours, theirs = _out_impls(act, x, a, b)
                return {"fastnn": ours, "torch": theirs}

            def backward(device, shape=shape, fwd=fwd, bwd=bwd, torch_bwd=torch_bwd):
                import torch
                x, g = torch.randn(shape, device=device), torch.randn(shape, device=device)
                y = fwd(torch.nn.functional)(x)
                return {"fastnn": lambda: bwd(g, x, y), "torch": _torch_backward(torch_bwd, g, x, y)}

            def denormal_out(device, shape=shape, act=act):
                import torch
                x = torch.randn(shape, device=device) * 1e-39  # every nonzero value a float32 denormal
                a, b = torch.zeros(shape, device=device), torch.zeros(shape, device=device)
                ours, theirs = _out_impls(act, x, a, b)
                return {"fastnn": ours, "torch": theirs}

            if label != "16M":  # cache-resident: a denormal slowdown shows, memory does not hide it
                out.append(Case("activation", f"{act} fwd (out=, denormal x)", label, n, denormal_out, bytes=8 * n,
                                quick=False, napkin=f"{n} denormal elements x 8 B; compare with the out= row",
                                variant=_variant(4 * n)))
            out += [
                Case("activation", f"{act} fwd (new out)", label, n, new_out, bytes=8 * n, quick=quick,
                     napkin=f"{n} elements x 8 B (read x, write y)", variant=_variant(4 * n)),
                Case("activation", f"{act} fwd (out=)", label, n, into_out, bytes=8 * n, quick=False,
                     napkin=f"{n} elements x 8 B (read x, write y)", variant=_variant(4 * n)),
                Case("activation", f"{act} bwd (new out)", label, n, backward, bytes=12 * n, quick=False,
                     napkin=f"{n} elements x 12 B (read dy and the saved operand, write dx)", variant=_variant(4 * n)),
            ]
    return out
