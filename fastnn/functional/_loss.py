"""Autograd for fastnn's pointwise losses (mse, l1, smooth_l1, huber, binary_cross_entropy, and with logits).

The eager route on plain float tensors of one shape (input and target) on one device (the CPU, or CUDA where
``fastnn.cuda.is_available()``) is a thin autograd.Function over fastnn.ops; everything else (other devices
and dtypes, mixed devices, broadcasting input/target shapes, a target that needs
a gradient, the class weights torch 2.13 added to mse/l1/huber, tensor subclasses, torch.compile) runs torch's
own function. Double backward recomputes through torch's function from the saved input.
"""
from __future__ import annotations

from typing import Optional

import torch

from .. import ops
from ._activation import _eager_device

_F = torch.nn.functional
_FLOAT = (torch.float32, torch.float64)


def _plain(t, device) -> bool:
    return t is None or (isinstance(t, torch.Tensor) and _eager_device(t) and t.device == device
                         and t.dtype in _FLOAT and not t.requires_grad)


class _Loss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y, w, pw, spec, kw):
        ctx.save_for_backward(x, y, w, pw)
        ctx.spec, ctx.kw = spec, kw
        return spec["forward"](x, y, w, pw, **kw)

    @staticmethod
    def backward(ctx, g):
        x, y, w, pw = ctx.saved_tensors
        spec, kw = ctx.spec, ctx.kw
        if torch.is_grad_enabled():  # create_graph: through torch's function on the saved input
            loss = spec["torch"](x, y, w, pw, **kw)
            return torch.autograd.grad(loss, x, g, create_graph=True)[0], None, None, None, None, None
        return spec["backward"](g.contiguous(), x, y, w, pw, **kw), None, None, None, None, None


def _run(spec, input, target, weight=None, pos_weight=None, **kw):
    ours = (isinstance(input, torch.Tensor) and isinstance(target, torch.Tensor) and _eager_device(input)
            and input.dtype in _FLOAT and _plain(target, input.device) and target.dtype == input.dtype
            and target.shape == input.shape and _plain(weight, input.device) and _plain(pos_weight, input.device)
            and all(t is None or t.dtype == input.dtype for t in (weight, pos_weight)))
    if not ours:
        return spec["torch"](input, target, weight, pos_weight, **kw)
    if torch.is_grad_enabled() and input.requires_grad:
        return _Loss.apply(input, target, weight, pos_weight, spec, kw)
    return spec["forward"](input, target, weight, pos_weight, **kw)


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return torch.nn._reduction.legacy_get_string(size_average, reduce)
    return reduction


def _regression_spec(torch_fn, forward, backward):
    """mse / l1: torch's function (which also takes class weights) and fastnn's unweighted forward/backward."""
    return dict(torch=lambda x, y, w, pw, reduction: torch_fn(x, y, reduction=reduction, weight=w),
                forward=lambda x, y, w, pw, reduction: forward(x, y, reduction),
                backward=lambda g, x, y, w, pw, reduction: backward(g, x, y, reduction))


_MSE = _regression_spec(_F.mse_loss, ops.mse_loss, ops.mse_loss_backward)
_L1 = _regression_spec(_F.l1_loss, ops.l1_loss, ops.l1_loss_backward)
_SMOOTH_L1 = dict(torch=lambda x, y, w, pw, reduction, beta: _F.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
                  forward=lambda x, y, w, pw, reduction, beta: ops.smooth_l1_loss(x, y, reduction, beta),
                  backward=lambda g, x, y, w, pw, reduction, beta: ops.smooth_l1_loss_backward(g, x, y, reduction, beta))
_HUBER = dict(torch=lambda x, y, w, pw, reduction, delta: _F.huber_loss(x, y, reduction=reduction, delta=delta, weight=w),
              forward=lambda x, y, w, pw, reduction, delta: ops.huber_loss(x, y, reduction, delta),
              backward=lambda g, x, y, w, pw, reduction, delta: ops.huber_loss_backward(g, x, y, reduction, delta))
_BCE = dict(torch=lambda x, y, w, pw, reduction: _F.binary_cross_entropy(x, y, w, reduction=reduction),
            forward=lambda x, y, w, pw, reduction: ops.binary_cross_entropy(x, y, w, reduction),
            backward=lambda g, x, y, w, pw, reduction: ops.binary_cross_entropy_backward(g, x, y, w, reduction))
_BCE_LOGITS = dict(
    torch=lambda x, y, w, pw, reduction: _F.binary_cross_entropy_with_logits(x, y, w, reduction=reduction, pos_weight=pw),
    forward=lambda x, y, w, pw, reduction: ops.binary_cross_entropy_with_logits(x, y, w, reduction, pw),
    backward=lambda g, x, y, w, pw, reduction: ops.binary_cross_entropy_with_logits_backward(g, x, y, w, reduction, pw))


def _regression(spec, input, target, size_average, reduce, reduction, weight):
    reduction = _reduction(size_average, reduce, reduction)
    if weight is not None:  # torch 2.13's weighted form: torch's
        return spec["torch"](input, target, weight, None, reduction)
    return _run(spec, input, target, reduction=reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """torch.nn.functional.mse_loss on fastnn's kernels (with ``weight``: torch's)."""
    return _regression(_MSE, input, target, size_average, reduce, reduction, weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """torch.nn.functional.l1_loss on fastnn's kernels (with ``weight``: torch's)."""
    return _regression(_L1, input, target, size_average, reduce, reduction, weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> torch.Tensor:
    """torch.nn.functional.smooth_l1_loss on fastnn's kernels."""
    return _run(_SMOOTH_L1, input, target, reduction=_reduction(size_average, reduce, reduction), beta=float(beta))


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """torch.nn.functional.huber_loss on fastnn's kernels (with ``weight``: torch's)."""
    if weight is not None:
        return _F.huber_loss(input, target, reduction=reduction, delta=delta, weight=weight)
    return _run(_HUBER, input, target, reduction=reduction, delta=float(delta))


def binary_cross_entropy(input, target, weight: Optional[torch.Tensor] = None, size_average=None, reduce=None,
                         reduction: str = "mean") -> torch.Tensor:
    """torch.nn.functional.binary_cross_entropy on fastnn's kernels."""
    reduction = _reduction(size_average, reduce, reduction)
    if isinstance(target, torch.Tensor) and isinstance(input, torch.Tensor) and target.size() != input.size():
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    return _run(_BCE, input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight: Optional[torch.Tensor] = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """torch.nn.functional.binary_cross_entropy_with_logits on fastnn's kernels."""
    return _run(_BCE_LOGITS, input, target, weight, pos_weight, reduction=_reduction(size_average, reduce, reduction))
