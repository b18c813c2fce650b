"""Autograd for fastnn's max and average pooling (CPU).

Routes as for conv2d (see _conv.py): an eager ``autograd.Function`` on plain CPU tensors, torch custom ops
(``fastnn::max_pool2d``, ``fastnn::avg_pool2d`` and their backwards) for torch.compile, meta and CUDA
tensors (fastnn's CUDA kernels when ``fastnn.cuda.is_available()``, torch's pooling on other devices).
Double backward differentiates torch's pooling, recomputed.
"""
from __future__ import annotations

from typing import Optional

import torch

from .. import cuda, ops
from ..ops.pool import pool_params
from ._activation import _direct

TF = torch.nn.functional


def _max_args(params):
    kh, kw, sh, sw, ph, pw, dh, dw, ceil, _, _ = params
    return (kh, kw), (sh, sw), (ph, pw), (dh, dw), bool(ceil)


def _avg_args(params):
    kh, kw, sh, sw, ph, pw, _, _, ceil, cip, div = params
    return (kh, kw), (sh, sw), (ph, pw), bool(ceil), bool(cip), (div or None)


def _twice_differentiable(fn, x, grad):
    """x's gradient through torch's pooling, recomputed, so that it can be differentiated again."""
    with torch.enable_grad():
        xr = x.detach().requires_grad_()
        y = fn(xr)
    (gx,) = torch.autograd.grad(y, xr, grad, create_graph=True)
    return gx


def _save(ctx, x, params):
    ctx.save_for_backward(x)
    ctx.params = params


def _grad(ctx, grad, torch_pool, args, backward):
    """Both routes' backward: through torch's pooling under create_graph, else `backward(grad, x)`."""
    (x,) = ctx.saved_tensors
    if torch.is_grad_enabled():
        return _twice_differentiable(lambda t: torch_pool(t, *args(ctx.params)), x, grad)
    return backward(grad, x)


class _MaxPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, params, return_indices):
        _save(ctx, x, params)
        if return_indices:
            y, idx = ops.max_pool2d(x, *_max_args(params), return_indices=True)
            ctx.mark_non_differentiable(idx)
            return y, idx
        return ops.max_pool2d(x, *_max_args(params))

    @staticmethod
    def backward(ctx, grad, *unused):
        eager = lambda g, x: ops.max_pool2d_backward(g, x, *_max_args(ctx.params))  # noqa: E731
        return _grad(ctx, grad, TF.max_pool2d, _max_args, eager), None, None


class _AvgPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, params):
        _save(ctx, x, params)
        return ops.avg_pool2d(x, *_avg_args(params))

    @staticmethod
    def backward(ctx, grad):
        eager = lambda g, x: ops.avg_pool2d_backward(g, x, *_avg_args(ctx.params))  # noqa: E731
        return _grad(ctx, grad, TF.avg_pool2d, _avg_args, eager), None


@torch.library.custom_op("fastnn::max_pool2d", mutates_args=())
def _max_pool_op(x: torch.Tensor, params: list[int]) -> torch.Tensor:
    return ops.max_pool2d(x, *_max_args(params))


@torch.library.custom_op("fastnn::max_pool2d_backward", mutates_args=())
def _max_pool_backward_op(grad: torch.Tensor, x: torch.Tensor, params: list[int]) -> torch.Tensor:
    return ops.max_pool2d_backward(grad, x, *_max_args(params))


@torch.library.custom_op("fastnn::avg_pool2d", mutates_args=())
def _avg_pool_op(x: torch.Tensor, params: list[int]) -> torch.Tensor:
    return ops.avg_pool2d(x, *_avg_args(params))


@torch.library.custom_op("fastnn::avg_pool2d_backward", mutates_args=())
def _avg_pool_backward_op(grad: torch.Tensor, x: torch.Tensor, params: list[int]) -> torch.Tensor:
    return ops.avg_pool2d_backward(grad, x, *_avg_args(params))


def _pooled_shape(x, params):
    kh, kw, sh, sw, ph, pw, dh, dw, ceil = params[:9]

    def size(n, k, s, p, d):
        span = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
        out = span // s + 1
        return out - 1 if ceil and (out - 1) * s >= n + p else out

    return (*x.shape[:-2], size(x.shape[-2], kh, sh, ph, dh), size(x.shape[-1], kw, sw, pw, dw))


for _op in (_max_pool_op, _avg_pool_op):
    _op.register_fake(lambda x, params: x.new_empty(_pooled_shape(x, params)))
for _op in (_max_pool_backward_op, _avg_pool_backward_op):
    _op.register_fake(lambda grad, x, params: x.new_empty(x.shape))


def _setup(ctx, inputs, output):
    _save(ctx, *inputs)


def _max_grad(ctx, grad):
    op = lambda g, x: _max_pool_backward_op(g.contiguous(), x, ctx.params)  # noqa: E731
    return _grad(ctx, grad, TF.max_pool2d, _max_args, op), None


def _avg_grad(ctx, grad):
    op = lambda g, x: _avg_pool_backward_op(g.contiguous(), x, ctx.params)  # noqa: E731
    return _grad(ctx, grad, TF.avg_pool2d, _avg_args, op), None


_max_pool_op.register_autograd(_max_grad, setup_context=_setup)
_avg_pool_op.register_autograd(_avg_grad, setup_context=_setup)


def _foreign(input) -> bool:
    """An input fastnn has no kernels for: another device (or a CUDA tensor without a usable fastnn CUDA
    module), a dtype other than float32/float64 (torch pools integers and halves), or a rank other than
    3 or 4 (torch's own error then)."""
    if input.dtype not in (torch.float32, torch.float64) or input.dim() not in (3, 4):
        return True
    if input.is_cpu or input.device.type == "meta":
        return False
    return not (input.device.type == "cuda" and cuda.is_available())


def _check(fn, input):
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"fastnn.functional.{fn}: argument 'input' must be a torch.Tensor, got {type(input).__name__}")


def max_pool2d(input: torch.Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """torch.nn.functional.max_pool2d on fastnn's kernels (CPU, CUDA; other devices run torch's)."""
    _check("max_pool2d", input)
    if _foreign(input):
        return TF.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    params = pool_params("fastnn.functional.max_pool2d", kernel_size, stride, padding, dilation, ceil_mode)
    if not _direct(input):
        if return_indices:  # not a custom op's output: torch's own op, traced as such
            return TF.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)
        return _max_pool_op(input, params)
    if torch.is_grad_enabled() and input.requires_grad:
        return _MaxPool.apply(input, params, return_indices)
    return ops.max_pool2d(input, *_max_args(params), return_indices=return_indices)


def avg_pool2d(input: torch.Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: Optional[int] = None) -> torch.Tensor:
    """torch.nn.functional.avg_pool2d on fastnn's kernels (CPU, CUDA; other devices run torch's)."""
    _check("avg_pool2d", input)
    if _foreign(input):
        return TF.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    params = pool_params("fastnn.functional.avg_pool2d", kernel_size, stride, padding, 1, ceil_mode,
                         count_include_pad, divisor_override)
    if not _direct(input):
        return _avg_pool_op(input, params)
    if torch.is_grad_enabled() and input.requires_grad:
        return _AvgPool.apply(input, params)
    return ops.avg_pool2d(input, *_avg_args(params))
