"""Autograd for fastnn's conv2d (im2col + GEMM on the CPU).

Routes as for linear (see _linear.py): an eager ``autograd.Function`` on plain CPU tensors, and the torch
custom ops ``fastnn::conv2d`` / ``fastnn::conv2d_backward`` for torch.compile, meta, subclass and CUDA
tensors (fastnn's CUDA kernels when ``fastnn.cuda.is_available()``; other devices run torch's convolution).
Double backward (``create_graph=True``) differentiates torch's convolution, recomputed from the saved inputs.
"""
from __future__ import annotations

from typing import Optional

import torch

from .. import _C, cuda, ops
from ..ops import _interop as io
from ..ops.conv import conv_params
from ._activation import _direct

_OP = "fastnn.functional.conv2d"


def _grads_differentiable(grad, x, w, has_bias, params, need):
    """The gradients through torch's convolution, recomputed, so that they can be differentiated again."""
    sh, sw, pt, pb, pl, pr, dh, dw, groups = params
    inputs = [t for t, n in zip((x, w), need) if n]
    b = torch.zeros(w.shape[0], dtype=w.dtype, device=w.device, requires_grad=True) if has_bias else None
    xp = torch.nn.functional.pad(x, (pl, pr, pt, pb))
    y = torch.nn.functional.conv2d(xp, w, b, (sh, sw), 0, (dh, dw), groups)
    wanted = inputs + ([b] if has_bias and need[2] else [])
    got = iter(torch.autograd.grad(y, wanted, grad, create_graph=True))
    return tuple(next(got) if n and (i < 2 or has_bias) else None for i, n in enumerate(need))


def _save(ctx, x, w, b, params):
    ctx.save_for_backward(x, w)
    ctx.params, ctx.has_bias = params, b is not None


def _grads(ctx, grad, backward):
    """Both routes' backward: differentiable torch ops under create_graph, else `backward` (fastnn's
    kernels, eager or through the custom op) for the gradients autograd asks for."""
    x, w = ctx.saved_tensors
    need_x, need_w, need_b, _ = ctx.needs_input_grad
    need = (need_x, need_w, need_b and ctx.has_bias)
    if torch.is_grad_enabled():
        return (*_grads_differentiable(grad, x, w, ctx.has_bias, ctx.params, need), None)
    return (*backward(grad, x, w, ctx.params, *need), None)


class _Conv2d(torch.autograd.Function):
    """The eager route: fastnn.ops.conv2d forward, fastnn.ops.conv2d_backward backward."""

    @staticmethod
    def forward(ctx, x, w, b, params):
        _save(ctx, x, w, b, params)
        return _forward(x, w, b, params)

    @staticmethod
    def backward(ctx, grad):
        return _grads(ctx, grad, _backward)


def _explicit(params):
    """ops.conv2d's arguments for an already-normalised parameter list."""
    sh, sw, pt, pb, pl, pr, dh, dw, groups = params
    return (sh, sw), (pt, pb, pl, pr), (dh, dw), groups


def _fast(x, params, *others) -> bool:
    """Whether the eager route may skip fastnn.ops' Python checks and call fastnn._C itself (as linear does):
    a 4-d batch, symmetric padding, contiguous aligned CPU tensors, a non-empty output. fastnn._C still
    checks shapes, dtypes and overlap. Saves ~15 us per layer and step."""
    sh, sw, pt, pb, pl, pr, dh, dw, _ = params
    return (x.dim() == 4 and (pt, pl) == (pb, pr) and min(sh, sw, dh, dw) > 0 and min(pt, pl) >= 0
            and all(t is None or (t.is_cpu and t.is_contiguous() and t.data_ptr() % t.element_size() == 0)
                    for t in (x, *others)))


def _forward(x, w, b, params):
    stride, pads, dilation, groups = _explicit(params)
    pt, pb, pl, pr = pads
    if _fast(x, params, w, b):
        oh, ow = _out_hw(x, w, params)
        if oh > 0 and ow > 0:
            out = io.empty(x, (x.shape[0], w.shape[0], oh, ow))
            _C.conv2d(io.view(x), io.view(w), io.view(b), io.view(out), params, "")
            return out
    if (pt, pl) == (pb, pr):
        return ops.conv2d(x, w, b, stride, (pt, pl), dilation, groups)
    # asymmetric ('same' with an even dilated kernel): the extra row/column at the end, as torch
    return ops.conv2d(torch.nn.functional.pad(x, (0, pr - pl, 0, pb - pt)), w, b, stride, (pt, pl), dilation, groups)


def _backward(grad, x, w, params, need_x, need_w, need_b):
    if _fast(x, params, w, grad):
        gx = io.empty(x, x.shape) if need_x else None
        gw = io.empty(w, w.shape) if need_w else None
        gb = w.new_empty(w.shape[0]) if need_b else None
        _C.conv2d_backward(io.view(grad), io.view(x), io.view(w), io.view(gx), io.view(gw), io.view(gb), params, "")
        return gx, gw, gb
    stride, (pt, pb, pl, pr), dilation, groups = _explicit(params)
    xp = x if (pt, pl) == (pb, pr) else torch.nn.functional.pad(x, (0, pr - pl, 0, pb - pt))
    gx, gw, gb = ops.conv2d_backward(grad, xp, w, stride, (pt, pl), dilation, groups,
                                     input_grad=need_x, weight_grad=need_w, bias_grad=need_b)
    if gx is not None and xp is not x:
        gx = gx[..., : x.shape[-2], : x.shape[-1]]
    return gx, gw, gb


@torch.library.custom_op("fastnn::conv2d", mutates_args=())
def _conv2d_op(x: torch.Tensor, w: torch.Tensor, b: Optional[torch.Tensor], params: list[int]) -> torch.Tensor:
    return _forward(x, w, b, params)


@torch.library.custom_op("fastnn::conv2d_backward", mutates_args=())
def _conv2d_backward_op(grad: torch.Tensor, x: torch.Tensor, w: torch.Tensor, params: list[int],
                        need_bias: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gx, gw, gb = _backward(grad, x, w, params, True, True, need_bias)
    return gx.contiguous(), gw, gb if need_bias else grad.new_empty(0)


def _out_hw(x, w, params):
    sh, sw, pt, pb, pl, pr, dh, dw, _ = params
    h = (x.shape[-2] + pt + pb - dh * (w.shape[2] - 1) - 1) // sh + 1
    wd = (x.shape[-1] + pl + pr - dw * (w.shape[3] - 1) - 1) // sw + 1
    return h, wd


@_conv2d_op.register_fake
def _(x, w, b, params):
    return x.new_empty((*x.shape[:-3], w.shape[0], *_out_hw(x, w, params)))


@_conv2d_backward_op.register_fake
def _(grad, x, w, params, need_bias):
    return x.new_empty(x.shape), w.new_empty(w.shape), w.new_empty(w.shape[0] if need_bias else 0)


def _conv_setup(ctx, inputs, output):
    _save(ctx, *inputs)


def _backward_through_op(grad, x, w, params, need_x, need_w, need_b):
    gx, gw, gb = _conv2d_backward_op(grad.contiguous(), x, w, params, need_b)
    return gx if need_x else None, gw if need_w else None, gb if need_b else None


def _conv_grad(ctx, grad):
    return _grads(ctx, grad, _backward_through_op)


_conv2d_op.register_autograd(_conv_grad, setup_context=_conv_setup)


def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> torch.Tensor:
    """torch.nn.functional.conv2d on fastnn's kernels (CPU, CUDA; other devices run torch's convolution)."""
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, torch.Tensor):
            raise TypeError(f"{_OP}: argument '{name}' must be a torch.Tensor, got {type(t).__name__}")
    # Another device, a dtype the kernels lack (or mixed dtypes), a rank they do not take: torch's
    # convolution, which computes it or raises its own error.
    floats = (torch.float32, torch.float64)
    if not (input.is_cpu or input.device.type == "meta" or (input.device.type == "cuda" and cuda.is_available())) \
            or input.dtype not in floats or weight.dtype != input.dtype \
            or (bias is not None and bias.dtype != input.dtype) or input.dim() not in (3, 4) or weight.dim() != 4:
        return torch.nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups)
    if weight.dim() != 4:
        raise RuntimeError(f"{_OP}: weight must be 4-d (out_channels, in_channels / groups, kH, kW), got shape "
                           f"{tuple(weight.shape)}")
    params = conv_params(_OP, tuple(weight.shape[2:]), stride, padding, dilation, groups)
    direct = _direct(input) and _direct(weight) and (bias is None or _direct(bias))
    if not direct:
        return _conv2d_op(input, weight, bias, params)
    if torch.is_grad_enabled() and (input.requires_grad or weight.requires_grad
                                    or (bias is not None and bias.requires_grad)):
        return _Conv2d.apply(input, weight, bias, params)
    return _forward(input, weight, bias, params)
