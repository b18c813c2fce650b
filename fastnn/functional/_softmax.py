"""Autograd for fastnn's softmax, log_softmax and cross-entropy (float32/float64; CPU, and CUDA where
``fastnn.cuda.is_available()``).

The eager route on plain tensors: thin ``autograd.Function``s over fastnn.ops. Everything else (other
devices, other dtypes, tensor subclasses, ``torch.compile`` tracing, cross-entropy with class
probabilities as targets) runs torch's own function, so these are drop-ins everywhere. Double backward
(``create_graph=True``) differentiates torch's function, recomputed from the saved input.

cross_entropy's forward computes the loss and its gradient for an upstream gradient of 1 in the same pass
over each row (log-softmax, NLL, label smoothing and class weights fused); its backward only scales that
saved gradient. torch saves the log-softmax instead and builds the gradient in two more passes.
"""
from __future__ import annotations

import warnings
from typing import Optional

import torch

from .. import ops
from ._activation import _eager_device

_F = torch.nn.functional
_FLOATS = (torch.float32, torch.float64)


def _ours(x: torch.Tensor) -> bool:
    return _eager_device(x) and x.dtype in _FLOATS


def _softmax_dim(name: str, ndim: int, dim, stacklevel: int) -> int:
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


class _Softmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, dim, log):
        y = ops.log_softmax(x, dim) if log else ops.softmax(x, dim)
        ctx.save_for_backward(x, y)
        ctx.dim, ctx.log = dim, log
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: through torch's function on the saved input, differentiable again
            out = (_F.log_softmax if ctx.log else _F.softmax)(x, ctx.dim)
            return torch.autograd.grad(out, x, grad, create_graph=True)[0], None, None
        g = grad.contiguous()
        return (ops.log_softmax_backward if ctx.log else ops.softmax_backward)(g, y, ctx.dim), None, None


def _softmax(name, input, dim, stacklevel, dtype, log):
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"fastnn.functional.{name}: argument 'input' must be a torch.Tensor, got {type(input).__name__}")
    dim = _softmax_dim(name, input.dim(), dim, stacklevel + 1)
    x = input if dtype is None else input.to(dtype)
    if not _ours(x) or not isinstance(dim, int):
        return (_F.log_softmax if log else _F.softmax)(x, dim)
    if torch.is_grad_enabled() and x.requires_grad:
        return _Softmax.apply(x, dim, log)
    return ops.log_softmax(x, dim) if log else ops.softmax(x, dim)


def softmax(input: torch.Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> torch.Tensor:
    """torch.nn.functional.softmax on fastnn's kernels."""
    return _softmax("softmax", input, dim, _stacklevel, dtype, False)


def log_softmax(input: torch.Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> torch.Tensor:
    """torch.nn.functional.log_softmax on fastnn's kernels."""
    return _softmax("log_softmax", input, dim, _stacklevel, dtype, True)


class _CrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, label_smoothing):
        loss, grad = ops.cross_entropy_with_grad(x, target, weight, ignore_index, reduction, label_smoothing)
        ctx.save_for_backward(x, target, weight)
        # An intermediate that only this node holds: the first backward takes it over and scales it in place
        # (no second (N, C) tensor); a later backward (retain_graph=True) recomputes it from x.
        ctx.grad = grad
        ctx.args = (ignore_index, reduction, label_smoothing)
        return loss

    @staticmethod
    def backward(ctx, g):
        x, target, weight = ctx.saved_tensors
        ignore_index, reduction, label_smoothing = ctx.args
        if torch.is_grad_enabled():  # create_graph: through torch's function on the saved input, differentiable again
            loss = _F.cross_entropy(x, target, weight, ignore_index=ignore_index, reduction=reduction,
                                    label_smoothing=label_smoothing)
            return torch.autograd.grad(loss, x, g, create_graph=True)[0], None, None, None, None, None
        grad, ctx.grad = ctx.grad, None
        if grad is None:
            grad = ops.cross_entropy_backward(g.contiguous(), x, target, weight, ignore_index, reduction,
                                              label_smoothing)
            return grad, None, None, None, None, None
        if reduction == "none" and x.dim() > 1:
            g = g.unsqueeze(1)  # (N, d...) -> (N, 1, d...): one scale per row of classes
        if not (g.dim() == 0 and g.is_cpu and g.item() == 1.0):  # (loss.backward() of a mean: nothing to scale)
            grad.mul_(g)
        return grad, None, None, None, None, None


def _target_ok(target, input, probs_allowed):
    """Class indices (int64), or (probs_allowed) class probabilities of the input's shape and dtype that need no
    gradient, on the input's device."""
    if type(target) is not torch.Tensor or target.device != input.device:
        return False
    if target.dtype == torch.int64:
        return True
    return probs_allowed and target.dtype == input.dtype and target.shape == input.shape and not target.requires_grad


def _weight_ok(weight, input):
    return weight is None or (_ours(weight) and weight.dtype == input.dtype and not weight.requires_grad
                              and weight.device == input.device)


def cross_entropy(input: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor] = None,
                  size_average: Optional[bool] = None, ignore_index: int = -100, reduce: Optional[bool] = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> torch.Tensor:
    """torch.nn.functional.cross_entropy on fastnn's fused kernel (class-index or class-probability targets)."""
    if size_average is not None or reduce is not None:
        reduction = torch.nn._reduction.legacy_get_string(size_average, reduce)
    ours = (isinstance(input, torch.Tensor) and isinstance(target, torch.Tensor) and _ours(input) and input.dim() >= 1
            and _target_ok(target, input, probs_allowed=True) and _weight_ok(weight, input))
    if not ours:
        return _F.cross_entropy(input, target, weight, ignore_index=ignore_index, reduction=reduction,
                                label_smoothing=label_smoothing)
    if torch.is_grad_enabled() and input.requires_grad:
        return _CrossEntropy.apply(input, target, weight, ignore_index, reduction, label_smoothing)
    return ops.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


class _NllLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        ctx.save_for_backward(x, target, weight)
        ctx.args = (ignore_index, reduction)
        return ops.nll_loss(x, target, weight, ignore_index, reduction)

    @staticmethod
    def backward(ctx, g):
        x, target, weight = ctx.saved_tensors
        ignore_index, reduction = ctx.args
        if torch.is_grad_enabled():  # create_graph: through torch's function on the saved input
            loss = _F.nll_loss(x, target, weight, ignore_index=ignore_index, reduction=reduction)
            return torch.autograd.grad(loss, x, g, create_graph=True)[0], None, None, None, None
        return ops.nll_loss_backward(g.contiguous(), x, target, weight, ignore_index, reduction), None, None, None, None


def nll_loss(input: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor] = None,
             size_average: Optional[bool] = None, ignore_index: int = -100, reduce: Optional[bool] = None,
             reduction: str = "mean") -> torch.Tensor:
    """torch.nn.functional.nll_loss on fastnn's kernel (the gradient: -weight[t] at each row's target)."""
    if size_average is not None or reduce is not None:
        reduction = torch.nn._reduction.legacy_get_string(size_average, reduce)
    ours = (isinstance(input, torch.Tensor) and isinstance(target, torch.Tensor) and _ours(input)
            and _target_ok(target, input, probs_allowed=False) and _weight_ok(weight, input))
    if not ours:
        return _F.nll_loss(input, target, weight, ignore_index=ignore_index, reduction=reduction)
    if torch.is_grad_enabled() and input.requires_grad:
        return _NllLoss.apply(input, target, weight, ignore_index, reduction)
    return ops.nll_loss(input, target, weight, ignore_index, reduction)
