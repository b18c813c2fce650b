"""Autograd for fastnn's GEMM: ``linear`` (torch.nn.functional.linear) with a fused-bias forward and a
backward of two GEMMs and a column sum.

Two routes, as for the activations (see _activation.py): torch custom ops ``fastnn::linear`` /
``fastnn::linear_backward`` for torch.compile, meta and subclass tensors, and an eager
``autograd.Function`` calling the array kernels directly for plain CPU tensors. Double backward
(``create_graph=True``) computes the gradients with differentiable torch ops.
"""
from __future__ import annotations

from typing import Optional

import torch

from .. import _C, ops
from ..ops import _interop as io
from ._activation import _direct

io._torch_dtypes(torch)
_FAST_DTYPES = (torch.float32, torch.float64)


def _fast(x, weight, bias) -> bool:
    """Whether the eager route may skip fastnn.ops' Python checks and call fastnn._C itself: 2-d input
    with weight's in_features, a bias of out_features, one supported dtype, aligned data. fastnn._C still
    checks devices and overlap; everything else (N-d input, bad input, whose message must be in Linear's
    terms, not the GEMM's) goes through fastnn.ops. Saves ~10 us per layer and step, a tenth of a small
    layer's time."""
    dt = x.dtype
    return (x.dim() == 2 and dt in _FAST_DTYPES and weight.dtype is dt and x.shape[1] == weight.shape[1]
            and (bias is None or (bias.dtype is dt and bias.shape == weight.shape[:1] and bias.is_contiguous()))
            and x.data_ptr() % x.element_size() == 0 and weight.data_ptr() % x.element_size() == 0)


def _linear_forward(x, weight, bias):
    if not _fast(x, weight, bias):
        return ops.linear(x, weight, bias)
    out = io.empty(x, (x.shape[0], weight.shape[0]))
    _C.matmul(io.view(x), io.view(weight), io.view(out), None, io.view(bias), False, True, 1.0, 0.0, False, "")
    return out


def _linear_backward(grad, x, weight, need_x, need_w, need_b):
    if not (_fast(x, weight, None) and grad.dim() == 2 and grad.dtype is x.dtype
            and grad.data_ptr() % grad.element_size() == 0):
        return ops.linear_backward(grad, x, weight, input_grad=need_x, weight_grad=need_w, bias_grad=need_b)
    gx = io.empty(x, x.shape) if need_x else None
    gw = io.empty(weight, weight.shape) if need_w else None
    gb = weight.new_empty(weight.shape[0]) if need_b else None
    _C.linear_backward(io.view(grad), io.view(x), io.view(weight), io.view(gx), io.view(gw), io.view(gb), "")
    return gx, gw, gb


def _grads_differentiable(grad, x, weight, need_x, need_w, need_b):
    """The same gradients through torch ops, so that they can themselves be differentiated."""
    g2 = grad.reshape(-1, weight.shape[0])
    gx = (grad @ weight) if need_x else None
    gw = (g2.t() @ x.reshape(-1, weight.shape[1])) if need_w else None
    gb = g2.sum(0) if need_b else None
    return gx, gw, gb


class _Linear(torch.autograd.Function):
    """The eager route: fastnn.ops.linear forward, fastnn.ops.linear_backward backward."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _linear_forward(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        need_b = need_b and ctx.has_bias
        if torch.is_grad_enabled() or not _direct(grad):
            return _grads_differentiable(grad, x, weight, need_x, need_w, need_b)
        return _linear_backward(grad, x, weight, need_x, need_w, need_b)


@torch.library.custom_op("fastnn::linear", mutates_args=())
def _linear_op(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
    return ops.linear(x, weight, bias)


@torch.library.custom_op("fastnn::linear_backward", mutates_args=())
def _linear_backward_op(grad: torch.Tensor, x: torch.Tensor, weight: torch.Tensor,
                        need_bias: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gx, gw, gb = ops.linear_backward(grad, x, weight, bias_grad=need_bias)
    return gx, gw, gb if need_bias else grad.new_empty(0)


@_linear_op.register_fake
def _(x, weight, bias):
    return x.new_empty((*x.shape[:-1], weight.shape[0]))


@_linear_backward_op.register_fake
def _(grad, x, weight, need_bias):
    return (x.new_empty(x.shape), weight.new_empty(weight.shape),
            weight.new_empty(weight.shape[0] if need_bias else 0))


def _linear_setup(ctx, inputs, output):
    x, weight, bias = inputs
    ctx.save_for_backward(x, weight)
    ctx.has_bias = bias is not None


def _linear_grad(ctx, grad):
    x, weight = ctx.saved_tensors
    need_x, need_w, need_b = ctx.needs_input_grad
    need_b = need_b and ctx.has_bias
    if torch.is_grad_enabled():
        return _grads_differentiable(grad, x, weight, need_x, need_w, need_b)
    gx, gw, gb = _linear_backward_op(grad.contiguous(), x, weight, need_b)
    return gx if need_x else None, gw if need_w else None, gb if need_b else None


_linear_op.register_autograd(_linear_grad, setup_context=_linear_setup)


def _check(input, weight, bias) -> None:
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, torch.Tensor):
            raise TypeError(f"fastnn.functional.linear: argument '{name}' must be a torch.Tensor, got "
                            f"{type(t).__name__}")


def linear(input: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """torch.nn.functional.linear on fastnn's GEMM: ``input @ weight.T + bias``, input ``(*, in_features)``."""
    _check(input, weight, bias)
    if input.dtype not in _FAST_DTYPES or weight.dtype != input.dtype or (bias is not None and bias.dtype != input.dtype) \
            or input.dim() == 0 or weight.dim() != 2 or weight.device != input.device \
            or (bias is not None and bias.device != input.device):
        return torch.nn.functional.linear(input, weight, bias)  # torch's result, or torch's own error
    direct = _direct(input) and _direct(weight) and (bias is None or _direct(bias))
    if not direct:
        return _linear_op(input, weight, bias)
    if torch.is_grad_enabled() and (input.requires_grad or weight.requires_grad
                                    or (bias is not None and bias.requires_grad)):
        return _Linear.apply(input, weight, bias)
    return _linear_forward(input, weight, bias)
