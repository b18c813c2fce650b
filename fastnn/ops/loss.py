"""Pointwise losses on arrays (mse, l1, smooth_l1, huber, binary cross-entropy, BCE with logits): forward
and explicit backward, torch's formulas and reductions. numpy arrays or torch tensors (CPU; CUDA when
``fastnn.cuda.is_available()``); on the CPU float32 runs the ``loss_f32`` kernels (``kernel=`` forces one),
float64 the reference math. No autograd is recorded here.
"""
from __future__ import annotations

import sys

import numpy as np

from .. import _C
from . import _interop as io

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _operands(op, input, target, weight=None, pos_weight=None, reduction="mean"):
    x = io.as_input(op, "input", input)
    y = io.as_input(op, "target", target)
    io.check_compatible(op, "target", y, x, "input")
    if tuple(x.shape) != tuple(y.shape):
        raise ValueError(f"{op}: target size {tuple(y.shape)} must be the same as input size {tuple(x.shape)}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction")

    def full(name, v):  # broadcast to x's shape, materialised (the kernels read elementwise)
        if v is None:
            return None
        v = io.as_input(op, name, v)
        io.check_compatible(op, name, v, x, "input")
        try:
            b = np.broadcast_to(v, x.shape) if isinstance(v, np.ndarray) else v.expand(x.shape)
        except (ValueError, RuntimeError) as e:
            raise RuntimeError(f"{op}: '{name}' of shape {tuple(v.shape)} does not broadcast to {tuple(x.shape)}") from e
        return io.as_input(op, name, np.ascontiguousarray(b) if isinstance(b, np.ndarray) else b.contiguous())

    return x, y, full("weight", weight), full("pos_weight", pos_weight), _REDUCTIONS[reduction]


def _fast(input, target, weight, pos_weight, reduction, kernel):
    """Whether the common case (plain contiguous CPU tensors of one shape and float dtype, no weights) may skip
    the general checks above: ~15 us of Python per call, most of a small network's loss."""
    torch = sys.modules.get("torch")
    return (torch is not None and kernel is None and weight is None and pos_weight is None
            and type(input) is torch.Tensor and type(target) is torch.Tensor and input.is_cpu and target.is_cpu
            and input.dtype in (torch.float32, torch.float64) and target.dtype == input.dtype
            and input.shape == target.shape and input.is_contiguous() and target.is_contiguous()
            and reduction in _REDUCTIONS)


def _loss(op, name, a, input, target, weight, pos_weight, reduction, kernel):
    if _fast(input, target, weight, pos_weight, reduction, kernel):
        red = _REDUCTIONS[reduction]
        out = io.empty(input, input.shape if red == 0 else (1,))
        _C.pointwise_loss(io.view(input), io.view(target), None, None, io.view(out), name, float(a), red, "")
        return out if red == 0 else out.reshape(())
    x, y, w, pw, red = _operands(op, input, target, weight, pos_weight, reduction)
    out = io.empty(x, tuple(x.shape) if red == 0 else (1,))
    io.call(op, "pointwise_loss", (x, y, w, pw, out), kernel, (name, float(a), red))
    return out if red == 0 else out.reshape(())


def _loss_backward(op, name, a, grad_output, input, target, weight, pos_weight, reduction, kernel):
    torch = sys.modules.get("torch")
    if (_fast(input, target, weight, pos_weight, reduction, kernel) and type(grad_output) is torch.Tensor
            and grad_output.is_cpu and grad_output.dtype == input.dtype and grad_output.is_contiguous()
            and (grad_output.shape == input.shape if reduction == "none" else grad_output.numel() == 1)):
        grad = io.empty(input, input.shape)
        _C.pointwise_loss_backward(io.view(input), io.view(target), None, None, io.view(grad_output), io.view(grad),
                                   name, float(a), _REDUCTIONS[reduction], "")
        return grad
    x, y, w, pw, red = _operands(op, input, target, weight, pos_weight, reduction)
    g = io.as_input(op, "grad_output", grad_output)
    io.check_compatible(op, "grad_output", g, x, "input")
    if red == 0 and tuple(g.shape) != tuple(x.shape):
        raise ValueError(f"{op}: grad_output must have the input's shape {tuple(x.shape)} for reduction='none'")
    g = g.reshape(-1) if red == 0 else g.reshape(1)
    grad = io.empty(x, tuple(x.shape))
    io.call(op, "pointwise_loss_backward", (x, y, w, pw, g, grad), kernel, (name, float(a), red))
    return grad


def mse_loss(input, target, reduction="mean", *, kernel=None):
    return _loss("fastnn.ops.mse_loss", "mse", 0.0, input, target, None, None, reduction, kernel)


def mse_loss_backward(grad_output, input, target, reduction="mean", *, kernel=None):
    return _loss_backward("fastnn.ops.mse_loss_backward", "mse", 0.0, grad_output, input, target, None, None,
                          reduction, kernel)


def l1_loss(input, target, reduction="mean", *, kernel=None):
    return _loss("fastnn.ops.l1_loss", "l1", 0.0, input, target, None, None, reduction, kernel)


def l1_loss_backward(grad_output, input, target, reduction="mean", *, kernel=None):
    return _loss_backward("fastnn.ops.l1_loss_backward", "l1", 0.0, grad_output, input, target, None, None,
                          reduction, kernel)


def _beta(op, beta):
    if beta < 0:
        raise RuntimeError(f"{op}: smooth_l1_loss does not support negative values for beta.")
    return ("l1", 0.0) if beta == 0 else ("smooth_l1", beta)  # torch: beta 0 is the L1 loss


def smooth_l1_loss(input, target, reduction="mean", beta=1.0, *, kernel=None):
    op = "fastnn.ops.smooth_l1_loss"
    return _loss(op, *_beta(op, beta), input, target, None, None, reduction, kernel)


def smooth_l1_loss_backward(grad_output, input, target, reduction="mean", beta=1.0, *, kernel=None):
    op = "fastnn.ops.smooth_l1_loss_backward"
    return _loss_backward(op, *_beta(op, beta), grad_output, input, target, None, None, reduction, kernel)


def _delta(op, delta):
    if delta <= 0:
        raise RuntimeError(f"{op}: huber_loss does not support non-positive values for delta.")
    return delta


def huber_loss(input, target, reduction="mean", delta=1.0, *, kernel=None):
    op = "fastnn.ops.huber_loss"
    return _loss(op, "huber", _delta(op, delta), input, target, None, None, reduction, kernel)


def huber_loss_backward(grad_output, input, target, reduction="mean", delta=1.0, *, kernel=None):
    op = "fastnn.ops.huber_loss_backward"
    return _loss_backward(op, "huber", _delta(op, delta), grad_output, input, target, None, None, reduction, kernel)


def _check_probabilities(op, x):
    if isinstance(x, np.ndarray):
        lo, hi = float(x.min()), float(x.max())
    else:  # one reduction for both ends (four elementwise ops and a reduction cost ~10 us on small inputs)
        lo, hi = (float(v) for v in sys.modules["torch"].aminmax(x))
    if not (lo >= 0 and hi <= 1):  # NaN is not inside, as in torch's check
        raise RuntimeError(f"{op}: all elements of input should be between 0 and 1")


def binary_cross_entropy(input, target, weight=None, reduction="mean", *, kernel=None):
    op = "fastnn.ops.binary_cross_entropy"
    input = io._validated(op, "input", input)  # before reading its values: a kind, dtype and device fastnn runs
    if input.size if isinstance(input, np.ndarray) else input.numel():
        _check_probabilities(op, input)
    return _loss(op, "bce", 0.0, input, target, weight, None, reduction, kernel)


def binary_cross_entropy_backward(grad_output, input, target, weight=None, reduction="mean", *, kernel=None):
    return _loss_backward("fastnn.ops.binary_cross_entropy_backward", "bce", 0.0, grad_output, input, target, weight,
                          None, reduction, kernel)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None, *, kernel=None):
    return _loss("fastnn.ops.binary_cross_entropy_with_logits", "bce_with_logits", 0.0, input, target, weight,
                 pos_weight, reduction, kernel)


def binary_cross_entropy_with_logits_backward(grad_output, input, target, weight=None, reduction="mean",
                                              pos_weight=None, *, kernel=None):
    return _loss_backward("fastnn.ops.binary_cross_entropy_with_logits_backward", "bce_with_logits", 0.0, grad_output,
                          input, target, weight, pos_weight, reduction, kernel)

