"""Activation kernels on arrays: forward and explicit backward functions.

Each function takes numpy arrays or torch tensors (float32 or float64; CPU, or CUDA when
``fastnn.cuda.is_available()``) and returns the same kind on the same device. ``kernel=`` forces a
registered CPU variant by name (see ``fastnn.list_kernels()``), for tests and benchmarks; by default the
best variant this CPU allows runs. These functions record no autograd:
``fastnn.functional`` is the autograd layer.
"""
from __future__ import annotations

from . import _interop as io


def relu(x, *, out=None, kernel: str | None = None):
    """``max(x, 0)`` elementwise (NaN and -0.0 pass through, as in torch). Returns ``out`` if given.

    ``out`` may be ``x`` itself (in-place); it must be C-contiguous, of x's kind, dtype and shape.
    """
    op = "fastnn.ops.relu"
    x = io.as_input(op, "x", x)
    out = io.empty_like(x) if out is None else io.as_output(op, "out", out, x, "x")
    io.call(op, "relu", (x, out), kernel)
    return out


def relu_(x, *, kernel: str | None = None):
    """In-place :func:`relu`; returns ``x``. Non-contiguous ``x`` is computed in a copy and written back."""
    op = "fastnn.ops.relu_"
    src = io.as_input(op, "x", x)
    io.check_writable(op, "x", x)
    io.call(op, "relu", (src, src), kernel)
    if src is not x:
        io.write_back(x, src)
    return x


def relu_backward(grad_output, output, *, out=None, kernel: str | None = None):
    """Gradient of relu: ``grad_output`` where ``output > 0`` (or NaN), else 0.

    ``output`` is relu's result (as torch's threshold_backward). ``out`` may be ``grad_output`` itself.
    """
    op = "fastnn.ops.relu_backward"
    grad_output = io.as_input(op, "grad_output", grad_output)
    output = io.as_input(op, "output", output)
    io.check_like(op, "output", output, grad_output, "grad_output")
    out = io.empty_like(grad_output) if out is None else io.as_output(op, "out", out, grad_output, "grad_output")
    io.call(op, "relu_backward", (grad_output, output, out), kernel)
    return out
