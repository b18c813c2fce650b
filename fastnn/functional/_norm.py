"""Autograd for fastnn's normalization kernels: ``batch_norm`` and ``layer_norm`` with torch's signatures.

Plain float32/float64 tensors on the CPU (or on a CUDA device when fastnn.cuda.is_available()) run the
kernels (fastnn/ops/norm.py) through an autograd.Function whose backward is one fused pass per channel (or
row) for the sums and one for the input gradient. Everything else (other devices, other dtypes, tensor
subclasses, torch.compile tracing) runs torch's function, which also raises torch's errors for the calls it rejects. The backward is once differentiable
(double backward through these layers raises torch's error for that).
"""
from __future__ import annotations

from typing import Optional

import torch

from .. import _C, cuda, ops
from ..ops import _interop as io

_F = torch.nn.functional
_FLOAT = (torch.float32, torch.float64)
_PLAIN = (torch.Tensor, torch.nn.Parameter)


def kernel_device(x) -> bool:
    """Whether fastnn has kernels on x's device: the CPU, or CUDA when fastnn's CUDA module is usable."""
    return x.is_cpu or (x.device.type == "cuda" and cuda.is_available())


def _ours(x, *others) -> bool:
    """Plain tensors of one floating dtype on one device that fastnn has kernels for (absent optional ones
    aside)."""
    if not (type(x) in _PLAIN and x.dtype in _FLOAT and kernel_device(x)) or torch.compiler.is_compiling():
        return False
    return all(t is None or (type(t) in _PLAIN and t.device == x.device and t.dtype == x.dtype) for t in others)


class _BatchNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, running_mean, running_var, weight, bias, training, momentum, eps):
        y, save_mean, save_invstd = ops.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)
        ctx.save_for_backward(x, weight, save_mean, save_invstd)
        ctx.training = training
        return y

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        x, weight, save_mean, save_invstd = ctx.saved_tensors
        need_x, _, _, need_w, need_b = ctx.needs_input_grad[:5]
        gx, gw, gb = ops.batch_norm_backward(grad.contiguous(), x, weight, save_mean, save_invstd, ctx.training,
                                             input_grad=need_x, weight_grad=need_w, bias_grad=need_b)
        return gx, None, None, gw, gb, None, None, None


def batch_norm(input: torch.Tensor, running_mean: Optional[torch.Tensor], running_var: Optional[torch.Tensor],
               weight: Optional[torch.Tensor] = None, bias: Optional[torch.Tensor] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> torch.Tensor:
    """torch.nn.functional.batch_norm on fastnn's kernels."""
    ours = isinstance(input, torch.Tensor) and _ours(input, running_mean, running_var, weight, bias) \
        and input.dim() >= 2 and input.numel() > 0 and (training or (running_mean is not None and running_var is not None))
    if not ours:
        return _F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if training:
        per_channel = input.numel() // max(input.shape[1], 1)
        if per_channel == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.size()}")
    if torch.is_grad_enabled() and (input.requires_grad or (weight is not None and weight.requires_grad)
                                    or (bias is not None and bias.requires_grad)):
        return _BatchNorm.apply(input.contiguous(), running_mean, running_var, weight, bias, training, momentum, eps)
    return ops.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)[0]


def _fast(*tensors) -> bool:
    """Whether layer_norm may skip fastnn.ops' Python checks and call fastnn._C itself: contiguous, aligned
    CPU tensors (absent optional ones aside). fastnn._C still checks shapes, dtypes and overlap. Saves
    ~25 us of a 32x64x256 layer's ~0.2 ms forward+backward."""
    return all(t is None or (t.is_cpu and t.is_contiguous() and t.data_ptr() % t.element_size() == 0)
               for t in tensors)


def _layer_norm_forward(x, shape, weight, bias, eps):
    if not _fast(x, weight, bias):
        return ops.layer_norm(x, shape, weight, bias, eps)
    d = 1
    for n in shape:
        d *= n
    lead = x.shape[:x.dim() - len(shape)]
    y, mean, rstd = io.empty(x, x.shape), io.empty(x, lead), io.empty(x, lead)
    _C.layer_norm(io.view(x), io.view(weight), io.view(bias), io.view(y), io.view(mean), io.view(rstd), d, float(eps),
                  "")
    return y, mean, rstd


def _layer_norm_backward(grad, x, shape, mean, rstd, weight, need_x, need_w, need_b):
    if not _fast(grad, x, mean, rstd, weight):
        return ops.layer_norm_backward(grad, x, shape, mean, rstd, weight, input_grad=need_x, weight_grad=need_w,
                                       bias_grad=need_b)
    d = 1
    for n in shape:
        d *= n
    gx = io.empty(x, x.shape) if need_x else None
    gw = io.empty(x, shape) if need_w and weight is not None else None
    gb = io.empty(x, shape) if need_b else None
    _C.layer_norm_backward(io.view(grad), io.view(x), io.view(weight), io.view(mean), io.view(rstd), io.view(gx),
                           io.view(gw), io.view(gb), d, "")
    return gx, gw, gb


class _LayerNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, normalized_shape, weight, bias, eps):
        y, mean, rstd = _layer_norm_forward(x, normalized_shape, weight, bias, eps)
        ctx.save_for_backward(x, weight, mean, rstd)
        ctx.normalized_shape = normalized_shape
        return y

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        x, weight, mean, rstd = ctx.saved_tensors
        need_x, _, need_w, need_b = ctx.needs_input_grad[:4]
        gx, gw, gb = _layer_norm_backward(grad.contiguous(), x, ctx.normalized_shape, mean, rstd, weight, need_x,
                                          need_w, need_b)
        return gx, None, gw, gb, None


def layer_norm(input: torch.Tensor, normalized_shape, weight: Optional[torch.Tensor] = None,
               bias: Optional[torch.Tensor] = None, eps: float = 1e-5) -> torch.Tensor:
    """torch.nn.functional.layer_norm on fastnn's kernels."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    ours = isinstance(input, torch.Tensor) and _ours(input, weight, bias) and 0 < len(shape) <= input.dim() \
        and tuple(input.shape[input.dim() - len(shape):]) == shape \
        and all(t is None or tuple(t.shape) == shape for t in (weight, bias))
    if not ours:
        return _F.layer_norm(input, shape, weight, bias, eps)
    if torch.is_grad_enabled() and (input.requires_grad or (weight is not None and weight.requires_grad)
                                    or (bias is not None and bias.requires_grad)):
        return _LayerNorm.apply(input.contiguous(), shape, weight, bias, eps)
    return ops.layer_norm(input, shape, weight, bias, eps)[0]
