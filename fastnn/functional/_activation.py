"""Autograd for fastnn's activation kernels.

Two routes to the same kernels:
  * torch custom ops (``torch.ops.fastnn.relu`` ...): ``torch.library.custom_op`` with a fake kernel and a
    registered autograd formula whose backward is itself a custom op (so double backward works). This
    is what ``torch.compile`` traces, and what meta tensors and tensor subclasses go through.
  * eager on plain CPU tensors: the array kernels directly (no autograd needed) or through a thin
    ``autograd.Function``. The custom-op machinery costs ~30-75 us per call in Python, the direct route
    ~8-25 us (torch's own relu: ~4 us); that difference is most of a small MLP's step time.
The tests run both routes against torch.
"""
from __future__ import annotations

import torch

from .. import ops


_PLAIN = (torch.Tensor, torch.nn.Parameter)  # not subclasses with their own dispatch (FakeTensor, DTensor, ...)


def _direct(x: torch.Tensor) -> bool:
    """Whether the eager route may call the array kernels on x directly."""
    return type(x) in _PLAIN and x.is_cpu and not torch.compiler.is_compiling()


def _empty_contiguous(x: torch.Tensor) -> torch.Tensor:
    # fastnn.ops outputs are always C-contiguous; the fake kernels must promise the same strides.
    return torch.empty_like(x, memory_format=torch.contiguous_format)


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


def _relu_grad(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """relu's input gradient; differentiable (through the custom op) when double backward asks for it."""
    if _direct(grad) and not (torch.is_grad_enabled() and grad.requires_grad):
        return ops.relu_backward(grad, output)
    return _relu_backward(grad, output)


def _relu_setup(ctx, inputs, output):
    ctx.save_for_backward(output)


def _relu_backward_setup(ctx, inputs, output):
    ctx.save_for_backward(inputs[1])


def _saved_output_grad(ctx, grad):
    (output,) = ctx.saved_tensors
    return _relu_grad(grad, output)


def _relu_backward_grad(ctx, grad):
    # Linear in grad_output with the same mask; the mask's derivative w.r.t. output is 0 almost everywhere.
    (output,) = ctx.saved_tensors
    return _relu_grad(grad, output), None


_relu.register_autograd(_saved_output_grad, setup_context=_relu_setup)
_relu_backward.register_autograd(_relu_backward_grad, setup_context=_relu_backward_setup)


class _Relu(torch.autograd.Function):
    """The eager route's relu with autograd."""

    @staticmethod
    def forward(ctx, x):
        y = ops.relu(x)
        ctx.save_for_backward(y)
        return y

    backward = staticmethod(_saved_output_grad)


class _ReluInplace(torch.autograd.Function):
    """In-place relu on a tensor that needs grad: overwrite it and let backward read the result."""

    @staticmethod
    def forward(ctx, x):
        if _direct(x):
            ops.relu_(x)
        else:
            _relu_inplace(x)
        ctx.mark_dirty(x)
        ctx.save_for_backward(x)
        return x

    backward = staticmethod(_saved_output_grad)


def _check_tensor(fn: str, x) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"fastnn.functional.{fn}: argument 'input' must be a torch.Tensor, got {type(x).__name__}")


def relu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """torch.nn.functional.relu on fastnn's kernels."""
    if inplace:
        return relu_(input)
    _check_tensor("relu", input)
    if not _direct(input):
        return _relu(input)
    if torch.is_grad_enabled() and input.requires_grad:
        return _Relu.apply(input)
    return ops.relu(input)


def relu_(input: torch.Tensor) -> torch.Tensor:
    """torch.nn.functional.relu_ on fastnn's kernels: in place, returns ``input``."""
    _check_tensor("relu_", input)
    if torch.is_grad_enabled() and input.requires_grad:
        return _ReluInplace.apply(input)
    if _direct(input):
        ops.relu_(input)
    else:
        _relu_inplace(input)
    return input
