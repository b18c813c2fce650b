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


# --------------------------------------------------------------------- the other activations (cpu/activation.h)
# Each forward takes x and returns a new array (or writes ``out``, which may be ``x``); each backward takes
# the upstream gradient and the operand torch's autograd saves for it (the input, or the output where the
# name says so). float32 runs the ``activation_f32`` kernels (``kernel=`` forces one), float64 the reference.

def _activation(op, name, x, a=0.0, b=0.0, out=None, kernel=None):
    x = io.as_input(op, "x", x)
    out = io.empty_like(x) if out is None else io.as_output(op, "out", out, x, "x")
    io.call(op, "activation", (x, out), kernel, (name, float(a), float(b)))
    return out


def _activation_(op, name, x, a=0.0, b=0.0, kernel=None):
    """In place; non-contiguous x is computed in a copy and written back."""
    src = io.as_input(op, "x", x)
    io.check_writable(op, "x", x)
    io.call(op, "activation", (src, src), kernel, (name, float(a), float(b)))
    if src is not x:
        io.write_back(x, src)
    return x


def _activation_backward(op, name, grad_output, saved, a=0.0, b=0.0, out=None, kernel=None):
    g = io.as_input(op, "grad_output", grad_output)
    s = io.as_input(op, "saved", saved)
    io.check_like(op, "saved", s, g, "grad_output")
    out = io.empty_like(g) if out is None else io.as_output(op, "out", out, g, "grad_output")
    io.call(op, "activation_backward", (g, s, out), kernel, (name, float(a), float(b)))
    return out


def leaky_relu(x, negative_slope: float = 0.01, *, out=None, kernel: str | None = None):
    """``x if x > 0 else negative_slope * x``."""
    return _activation("fastnn.ops.leaky_relu", "leaky_relu", x, negative_slope, 0.0, out, kernel)


def leaky_relu_backward(grad_output, input, negative_slope: float = 0.01, *, out=None, kernel: str | None = None):
    """``grad_output if input > 0 else grad_output * negative_slope`` (the output works too for a slope >= 0)."""
    return _activation_backward("fastnn.ops.leaky_relu_backward", "leaky_relu", grad_output, input, negative_slope,
                                0.0, out, kernel)


def elu(x, alpha: float = 1.0, *, out=None, kernel: str | None = None):
    """``x if x > 0 else alpha * expm1(x)``."""
    return _activation("fastnn.ops.elu", "elu", x, alpha, 0.0, out, kernel)


def elu_backward(grad_output, saved, alpha: float = 1.0, *, is_result: bool = False, out=None,
                 kernel: str | None = None):
    """ELU's gradient from its input (``alpha * exp(x)`` where ``x <= 0``) or, ``is_result=True``, from its
    output (``y + alpha`` where ``y <= 0``), as torch's elu_backward."""
    return _activation_backward("fastnn.ops.elu_backward", "elu_result" if is_result else "elu", grad_output, saved,
                                alpha, 0.0, out, kernel)


def sigmoid(x, *, out=None, kernel: str | None = None):
    """``1 / (1 + exp(-x))``."""
    return _activation("fastnn.ops.sigmoid", "sigmoid", x, out=out, kernel=kernel)


def sigmoid_backward(grad_output, output, *, out=None, kernel: str | None = None):
    """``grad_output * (1 - output) * output``."""
    return _activation_backward("fastnn.ops.sigmoid_backward", "sigmoid", grad_output, output, out=out, kernel=kernel)


def tanh(x, *, out=None, kernel: str | None = None):
    return _activation("fastnn.ops.tanh", "tanh", x, out=out, kernel=kernel)


def tanh_backward(grad_output, output, *, out=None, kernel: str | None = None):
    """``grad_output * (1 - output**2)``."""
    return _activation_backward("fastnn.ops.tanh_backward", "tanh", grad_output, output, out=out, kernel=kernel)


def _gelu_name(op, approximate):
    if approximate in ("none", "tanh"):
        return "gelu" if approximate == "none" else "gelu_tanh"
    raise ValueError(f"{op}: approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu(x, approximate: str = "none", *, out=None, kernel: str | None = None):
    """``x/2 (1 + erf(x / sqrt(2)))``, or with approximate='tanh' ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.
    (gelu(+inf) is +inf; torch's float32 CPU kernel gives NaN there.)"""
    op = "fastnn.ops.gelu"
    return _activation(op, _gelu_name(op, approximate), x, out=out, kernel=kernel)


def gelu_backward(grad_output, input, approximate: str = "none", *, out=None, kernel: str | None = None):
    op = "fastnn.ops.gelu_backward"
    return _activation_backward(op, _gelu_name(op, approximate), grad_output, input, out=out, kernel=kernel)


def silu(x, *, out=None, kernel: str | None = None):
    """``x / (1 + exp(-x))``."""
    return _activation("fastnn.ops.silu", "silu", x, out=out, kernel=kernel)


def silu_backward(grad_output, input, *, out=None, kernel: str | None = None):
    """``grad_output * s * (1 + x (1 - s))``, s = sigmoid(x)."""
    return _activation_backward("fastnn.ops.silu_backward", "silu", grad_output, input, out=out, kernel=kernel)


def hardtanh(x, min_val: float = -1.0, max_val: float = 1.0, *, out=None, kernel: str | None = None):
    """``x`` clamped to ``[min_val, max_val]`` (NaN passes)."""
    if min_val > max_val:
        raise ValueError("fastnn.ops.hardtanh: min_val cannot be greater than max_val")
    return _activation("fastnn.ops.hardtanh", "hardtanh", x, min_val, max_val, out, kernel)


def hardtanh_backward(grad_output, input, min_val: float = -1.0, max_val: float = 1.0, *, out=None,
                      kernel: str | None = None):
    """``grad_output`` where ``min_val < input < max_val``, else 0."""
    return _activation_backward("fastnn.ops.hardtanh_backward", "hardtanh", grad_output, input, min_val, max_val,
                                out, kernel)


def softplus(x, beta: float = 1.0, threshold: float = 20.0, *, out=None, kernel: str | None = None):
    """``log1p(exp(beta x)) / beta``, or ``x`` where ``beta x > threshold``."""
    return _activation("fastnn.ops.softplus", "softplus", x, beta, threshold, out, kernel)


def softplus_backward(grad_output, input, beta: float = 1.0, threshold: float = 20.0, *, out=None,
                      kernel: str | None = None):
    """``grad_output * sigmoid(beta x)``, or ``grad_output`` where ``beta x > threshold``."""
    return _activation_backward("fastnn.ops.softplus_backward", "softplus", grad_output, input, beta, threshold, out,
                                kernel)


def leaky_relu_(x, negative_slope: float = 0.01, *, kernel: str | None = None):
    return _activation_("fastnn.ops.leaky_relu_", "leaky_relu", x, negative_slope, 0.0, kernel)


def elu_(x, alpha: float = 1.0, *, kernel: str | None = None):
    return _activation_("fastnn.ops.elu_", "elu", x, alpha, 0.0, kernel)


def hardtanh_(x, min_val: float = -1.0, max_val: float = 1.0, *, kernel: str | None = None):
    if min_val > max_val:
        raise ValueError("fastnn.ops.hardtanh_: min_val cannot be greater than max_val")
    return _activation_("fastnn.ops.hardtanh_", "hardtanh", x, min_val, max_val, kernel)


def silu_(x, *, kernel: str | None = None):
    return _activation_("fastnn.ops.silu_", "silu", x, kernel=kernel)


def sigmoid_(x, *, kernel: str | None = None):
    return _activation_("fastnn.ops.sigmoid_", "sigmoid", x, kernel=kernel)


def tanh_(x, *, kernel: str | None = None):
    return _activation_("fastnn.ops.tanh_", "tanh", x, kernel=kernel)
