"""Autograd for fastnn's dropout (CPU float tensors): the mask (1 bit per element) is saved for backward.
Other devices, dtypes, subclasses and torch.compile run torch's dropout."""
from __future__ import annotations

import torch

from .. import ops
from ._activation import _eager_device


class _Dropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, p, inplace):
        y, mask = ops.dropout(x, p, out=x if inplace else None)
        if inplace:
            ctx.mark_dirty(x)
        ctx.save_for_backward(mask)
        ctx.p = p
        return y

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: the same mask as a differentiable product
            n = g.numel()
            keep = ((mask.repeat_interleave(8) >> torch.arange(8, device=mask.device).repeat(mask.numel())) & 1)[:n].reshape(g.shape)
            return g * keep.to(g.dtype) / (1 - ctx.p), None, None
        return ops.dropout_backward(g.contiguous(), mask, ctx.p), None, None


def dropout(input: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> torch.Tensor:
    """torch.nn.functional.dropout on fastnn's kernel (the random stream seeded from torch's generator)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not (isinstance(input, torch.Tensor) and _eager_device(input) and input.dtype in (torch.float32, torch.float64)) \
            or not training or p == 1.0:
        return torch.nn.functional.dropout(input, p, training, inplace)
    if torch.is_grad_enabled() and input.requires_grad:
        return _Dropout.apply(input, float(p), inplace)
    return ops.dropout(input, float(p), out=input if inplace else None)[0]
