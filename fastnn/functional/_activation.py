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

from .. import cuda, ops


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
    if input.dtype not in _FLOAT:
        return _TF.relu(input)  # integers, halves: torch's
    if not _direct(input):
        return _relu(input)
    if torch.is_grad_enabled() and input.requires_grad:
        return _Relu.apply(input)
    return ops.relu(input)


def relu_(input: torch.Tensor) -> torch.Tensor:
    """torch.nn.functional.relu_ on fastnn's kernels: in place, returns ``input``."""
    _check_tensor("relu_", input)
    if input.dtype not in _FLOAT:
        return _TF.relu_(input)
    if torch.is_grad_enabled() and input.requires_grad:
        return _ReluInplace.apply(input)
    if _direct(input):
        ops.relu_(input)
    else:
        _relu_inplace(input)
    return input


# ------------------------------------------------------------------------------ the other activations
# One autograd.Function for all of them (the eager route on plain float tensors, CPU or CUDA); everything else
# (other devices and dtypes, subclasses, torch.compile) runs torch's own function.
# spec: torch's function, fastnn.ops' forward / in-place / backward, and whether backward reads the output.

_TF = torch.nn.functional
_FLOAT = (torch.float32, torch.float64)


def _eager_device(x: torch.Tensor) -> bool:
    """Whether the eager route may hand x to fastnn.ops: a plain tensor on the CPU, or on CUDA where fastnn's
    CUDA module is usable (relu takes the custom op there)."""
    return _direct(x) or (type(x) in _PLAIN and x.is_cuda and not torch.compiler.is_compiling()
                          and cuda.is_available())


def _ours(x) -> bool:
    return isinstance(x, torch.Tensor) and x.dtype in _FLOAT and _eager_device(x)


class _Activation(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, spec, args, inplace):
        if inplace:
            spec["inplace"](x, *args)
            ctx.mark_dirty(x)
            y = x
        else:
            y = spec["forward"](x, *args)
        saves_output = spec["saves_output"] or inplace
        ctx.save_for_backward(y if saves_output else x)
        ctx.spec, ctx.args, ctx.from_output = spec, args, saves_output
        return y

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        spec, args = ctx.spec, ctx.args
        if torch.is_grad_enabled():  # create_graph: differentiable torch expressions of the saved tensor
            if ctx.from_output:
                return spec["grad_from_output"](grad, s, *args), None, None, None
            y = spec["torch"](s, *args)
            return torch.autograd.grad(y, s, grad, create_graph=True)[0], None, None, None
        g = grad.contiguous()
        if ctx.from_output and not spec["saves_output"]:  # in place: torch's formula from the result
            return spec["backward_from_output"](g, s, *args), None, None, None
        return spec["backward"](g, s, *args), None, None, None


def _run(spec, input, args, inplace=False):
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"fastnn.functional: argument 'input' must be a torch.Tensor, got {type(input).__name__}")
    if not _ours(input) or (inplace and spec.get("inplace") is None):
        return spec["torch"](input, *args, inplace=True) if inplace else spec["torch"](input, *args)
    if torch.is_grad_enabled() and input.requires_grad:
        if inplace and not spec.get("inplace_grad_ok", lambda *a: True)(*args):
            return spec["torch"](input, *args, inplace=True)  # torch raises its own error here
        return _Activation.apply(input, spec, args, inplace)
    if inplace:
        spec["inplace"](input, *args)
        return input
    return spec["forward"](input, *args)


_LEAKY = dict(torch=lambda x, a, inplace=False: _TF.leaky_relu(x, a, inplace), forward=ops.leaky_relu,
              inplace=ops.leaky_relu_, backward=ops.leaky_relu_backward, saves_output=False,
              backward_from_output=ops.leaky_relu_backward,
              grad_from_output=lambda g, y, a: torch.where(y > 0, g, g * a),
              inplace_grad_ok=lambda a: a >= 0)
_ELU = dict(torch=lambda x, a, inplace=False: _TF.elu(x, a, inplace), forward=ops.elu, inplace=ops.elu_,
            backward=ops.elu_backward, saves_output=False,
            backward_from_output=lambda g, y, a: ops.elu_backward(g, y, a, is_result=True),
            grad_from_output=lambda g, y, a: torch.where(y <= 0, g * (y + a), g),
            inplace_grad_ok=lambda a: a >= 0)
_SIGMOID = dict(torch=lambda x, inplace=False: x.sigmoid_() if inplace else torch.sigmoid(x), forward=ops.sigmoid,
                inplace=ops.sigmoid_, backward=ops.sigmoid_backward, saves_output=True,
                grad_from_output=lambda g, y: g * (1 - y) * y)
_TANH = dict(torch=lambda x, inplace=False: x.tanh_() if inplace else torch.tanh(x), forward=ops.tanh,
             inplace=ops.tanh_, backward=ops.tanh_backward, saves_output=True,
             grad_from_output=lambda g, y: g * (1 - y * y))
_GELU_TANH = dict(torch=lambda x, inplace=False: _TF.gelu(x, approximate="tanh"),
                  forward=lambda x: ops.gelu(x, "tanh"), backward=lambda g, x: ops.gelu_backward(g, x, "tanh"),
                  saves_output=False, inplace=None)
_SILU = dict(torch=lambda x, inplace=False: _TF.silu(x, inplace), forward=ops.silu, inplace=ops.silu_,
             backward=ops.silu_backward, saves_output=False, inplace_grad_ok=lambda: False)
_HARDTANH = dict(torch=lambda x, lo, hi, inplace=False: _TF.hardtanh(x, lo, hi, inplace), forward=ops.hardtanh,
                 inplace=ops.hardtanh_, backward=ops.hardtanh_backward, saves_output=False,
                 backward_from_output=ops.hardtanh_backward,
                 grad_from_output=lambda g, y, lo, hi: torch.where((y <= lo) | (y >= hi), torch.zeros_like(g), g))
_SOFTPLUS = dict(torch=lambda x, b, t, inplace=False: _TF.softplus(x, b, t), forward=ops.softplus,
                 backward=ops.softplus_backward, saves_output=False, inplace=None)


def leaky_relu(input: torch.Tensor, negative_slope: float = 0.01, inplace: bool = False) -> torch.Tensor:
    """torch.nn.functional.leaky_relu on fastnn's kernels."""
    return _run(_LEAKY, input, (float(negative_slope),), inplace)


def leaky_relu_(input: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    return _run(_LEAKY, input, (float(negative_slope),), True)


def elu(input: torch.Tensor, alpha: float = 1.0, inplace: bool = False) -> torch.Tensor:
    """torch.nn.functional.elu on fastnn's kernels."""
    return _run(_ELU, input, (float(alpha),), inplace)


def elu_(input: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    return _run(_ELU, input, (float(alpha),), True)


def sigmoid(input: torch.Tensor) -> torch.Tensor:
    """torch.nn.functional.sigmoid (torch.sigmoid) on fastnn's kernels."""
    return _run(_SIGMOID, input, ())


def tanh(input: torch.Tensor) -> torch.Tensor:
    """torch.nn.functional.tanh (torch.tanh) on fastnn's kernels."""
    return _run(_TANH, input, ())


_GELU = dict(torch=lambda x, inplace=False: _TF.gelu(x), forward=lambda x: ops.gelu(x, "none"),
             backward=lambda g, x: ops.gelu_backward(g, x, "none"), saves_output=False, inplace=None)


def gelu(input: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """torch.nn.functional.gelu on fastnn's kernels (erf form and tanh form)."""
    if approximate not in ("none", "tanh"):
        return _TF.gelu(input, approximate=approximate)  # torch's own error
    return _run(_GELU if approximate == "none" else _GELU_TANH, input, ())


def silu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """torch.nn.functional.silu on fastnn's kernels (in place with autograd: torch's)."""
    return _run(_SILU, input, (), inplace)


def hardtanh(input: torch.Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> torch.Tensor:
    """torch.nn.functional.hardtanh on fastnn's kernels."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run(_HARDTANH, input, (float(min_val), float(max_val)), inplace)


def hardtanh_(input: torch.Tensor, min_val: float = -1.0, max_val: float = 1.0) -> torch.Tensor:
    return hardtanh(input, min_val, max_val, True)


def softplus(input: torch.Tensor, beta: float = 1.0, threshold: float = 20.0) -> torch.Tensor:
    """torch.nn.functional.softplus on fastnn's kernels."""
    return _run(_SOFTPLUS, input, (float(beta), float(threshold)))
