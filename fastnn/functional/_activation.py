"""Autograd for fastnn's activation kernels, registered as torch custom ops.

Each kernel is a ``torch.library.custom_op`` in the ``fastnn`` namespace with a fake (meta) kernel, so
``torch.compile`` traces through it without graph breaks, and a registered autograd formula whose
backward is itself a fastnn custom op.
"""
from __future__ import annotations

import torch

from .. import ops


def _empty_contiguous(x: torch.Tensor) -> torch.Tensor:
    # fastnn.ops outputs are always C-contiguous; the fake kernels must promise the same strides.
    return torch.empty(x.shape, dtype=x.dtype, device=x.device)


@torch.library.custom_op("fastnn::relu", mutates_args=())
def _relu(x: torch.Tensor) -> torch.Tensor:
    return ops.relu(x)


@torch.library.custom_op("fastnn::relu_", mutates_args=("x",))
def _relu_inplace(x: torch.Tensor) -> None:
    ops.relu_(x)


@torch.library.custom_op("fastnn::relu_backward", mutates_args=())
def _relu_backward(grad_output: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    return ops.relu_backward(grad_output, output)


@_relu.register_fake
def _(x):
    return _empty_contiguous(x)


@_relu_inplace.register_fake
def _(x):
    return None


@_relu_backward.register_fake
def _(grad_output, output):
    return _empty_contiguous(grad_output)


def _relu_setup(ctx, inputs, output):
    ctx.save_for_backward(output)


def _relu_grad(ctx, grad):
    (output,) = ctx.saved_tensors
    return _relu_backward(grad, output)


def _relu_backward_setup(ctx, inputs, output):
    ctx.save_for_backward(inputs[1])


def _relu_backward_grad(ctx, grad):
    # Linear in grad_output with the same mask; the mask's derivative w.r.t. output is 0 almost everywhere.
    (output,) = ctx.saved_tensors
    return _relu_backward(grad, output), None


_relu.register_autograd(_relu_grad, setup_context=_relu_setup)
_relu_backward.register_autograd(_relu_backward_grad, setup_context=_relu_backward_setup)


class _ReluInplace(torch.autograd.Function):
    """In-place relu on a tensor that needs grad: overwrite it and let backward read the result."""

    @staticmethod
    def forward(ctx, x):
        _relu_inplace(x)
        ctx.mark_dirty(x)
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        (output,) = ctx.saved_tensors
        return _relu_backward(grad, output)


def _check_tensor(fn: str, x) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"fastnn.functional.{fn}: argument 'input' must be a torch.Tensor, got {type(x).__name__}")


def relu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """torch.nn.functional.relu on fastnn's kernels."""
    if inplace:
        return relu_(input)
    _check_tensor("relu", input)
    return _relu(input)


def relu_(input: torch.Tensor) -> torch.Tensor:
    """torch.nn.functional.relu_ on fastnn's kernels: in place, returns ``input``."""
    _check_tensor("relu_", input)
    if torch.is_grad_enabled() and input.requires_grad:
        return _ReluInplace.apply(input)
    _relu_inplace(input)
    return input
