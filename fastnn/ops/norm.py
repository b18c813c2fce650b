"""Batch normalization and layer normalization on arrays (numpy, CPU tensors; CUDA tensors run the CUDA
kernels, cuda/norm.cu): forward and explicit backward, torch's semantics (biased batch variance to
normalize, unbiased for the running variance; ``eps`` inside the square root).
"""
from __future__ import annotations

import math

import numpy as np

from . import _interop as io



def _param(op, name, v, x, n):
    """An optional per-channel (or per-feature) array of n elements, of x's kind and dtype."""
    if v is None:
        return None
    a = io.as_input(op, name, v)
    io.check_compatible(op, name, a, x, "input")
    numel = a.size if isinstance(a, np.ndarray) else a.numel()
    if numel != n:
        raise RuntimeError(f"{op}: '{name}' must have {n} elements, got shape {tuple(a.shape)}")
    return a


def _state(op, name, v, x, n):
    """A running statistic the kernel updates in place: C-contiguous, writable, of x's kind and dtype."""
    if v is None:
        return None
    a = io.as_output(op, name, v, v, name)  # validated as an output: contiguous, writable, no autograd history
    io.check_compatible(op, name, a, x, "input")
    numel = a.size if isinstance(a, np.ndarray) else a.numel()
    if numel != n:
        raise RuntimeError(f"{op}: '{name}' must have {n} elements, got shape {tuple(a.shape)}")
    return a


def batch_norm(input, running_mean=None, running_var=None, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5, *, kernel: str | None = None):
    """``(output, save_mean, save_invstd)``: torch.nn.functional.batch_norm's output, plus the statistics that
    normalized the input (the backward's inputs). Training updates running_mean / running_var in place with
    factor ``momentum`` (``None``: leave them alone)."""
    op = "fastnn.ops.batch_norm"
    x = io.as_input(op, "input", input)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an input of at least 2 dims (N, C, ...), got shape {tuple(x.shape)}")
    c = x.shape[1]
    if training:
        per_channel = (x.size if isinstance(x, np.ndarray) else x.numel()) // max(c, 1)
        if per_channel == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(x.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError(f"{op}: running_mean and running_var must be defined in evaluation mode")
    w, b = _param(op, "weight", weight, x, c), _param(op, "bias", bias, x, c)
    if training:
        rm, rv = _state(op, "running_mean", running_mean, x, c), _state(op, "running_var", running_var, x, c)
    else:
        rm, rv = _param(op, "running_mean", running_mean, x, c), _param(op, "running_var", running_var, x, c)
    factor = 0.0 if momentum is None else float(momentum)
    if not math.isfinite(float(eps)) or eps < 0:
        raise ValueError(f"{op}: eps must be a finite number >= 0, got {eps}")
    y, sm, si = io.empty_like(x), io.empty(x, (c,)), io.empty(x, (c,))
    io.call(op, "batch_norm", (x, w, b, rm, rv, y, sm, si), kernel, (bool(training), factor, float(eps)))
    return y, sm, si


def batch_norm_backward(grad_output, input, weight, save_mean, save_invstd, training=True, *, input_grad=True,
                        weight_grad=True, bias_grad=True, kernel: str | None = None):
    """``(grad_input, grad_weight, grad_bias)`` of :func:`batch_norm` (None for those not asked for;
    grad_weight is None without a weight)."""
    op = "fastnn.ops.batch_norm_backward"
    x = io.as_input(op, "input", input)
    g = io.as_input(op, "grad_output", grad_output)
    io.check_like(op, "grad_output", g, x, "input")
    c = x.shape[1] if x.ndim >= 2 else 0
    w = _param(op, "weight", weight, x, c)
    sm, si = _param(op, "save_mean", save_mean, x, c), _param(op, "save_invstd", save_invstd, x, c)
    if sm is None or si is None:
        raise ValueError(f"{op}: save_mean and save_invstd are required")
    gx = io.empty_like(x) if input_grad else None
    gw = io.empty(x, (c,)) if weight_grad and w is not None else None
    gb = io.empty(x, (c,)) if bias_grad else None
    io.call(op, "batch_norm_backward", (g, x, w, sm, si, gx, gw, gb), kernel, (bool(training),))
    return gx, gw, gb


def _normalized_numel(op, x, normalized_shape):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(shape) == 0 or len(shape) > x.ndim or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise RuntimeError(f"{op}: normalized_shape {list(shape)} does not match the input's last dims "
                           f"{list(x.shape)}")
    return shape, int(np.prod(shape))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, *, kernel: str | None = None):
    """``(output, mean, rstd)``: torch.nn.functional.layer_norm's output, and each row's mean and 1/std
    (shape: the input's leading dims)."""
    op = "fastnn.ops.layer_norm"
    x = io.as_input(op, "input", input)
    shape, d = _normalized_numel(op, x, normalized_shape)
    for name, v in (("weight", weight), ("bias", bias)):
        if v is not None and tuple(v.shape) != shape:
            raise RuntimeError(f"{op}: '{name}' must have shape {list(shape)}, got {list(v.shape)}")
    w, b = _param(op, "weight", weight, x, d), _param(op, "bias", bias, x, d)
    if not math.isfinite(float(eps)) or eps < 0:
        raise ValueError(f"{op}: eps must be a finite number >= 0, got {eps}")
    lead = tuple(x.shape[:x.ndim - len(shape)])
    y, mean, rstd = io.empty_like(x), io.empty(x, lead), io.empty(x, lead)
    io.call(op, "layer_norm", (x, w, b, y, mean, rstd), kernel, (d, float(eps)))
    return y, mean, rstd


def layer_norm_backward(grad_output, input, normalized_shape, mean, rstd, weight=None, *, input_grad=True,
                        weight_grad=True, bias_grad=True, kernel: str | None = None):
    """``(grad_input, grad_weight, grad_bias)`` of :func:`layer_norm` (grad_weight None without a weight;
    grad_bias is computed whenever asked). ``kernel=`` forces a ``norm_f32`` variant (float32)."""
    op = "fastnn.ops.layer_norm_backward"
    x = io.as_input(op, "input", input)
    g = io.as_input(op, "grad_output", grad_output)
    io.check_like(op, "grad_output", g, x, "input")
    shape, d = _normalized_numel(op, x, normalized_shape)
    rows = (x.size if isinstance(x, np.ndarray) else x.numel()) // d
    m, r = _param(op, "mean", mean, x, rows), _param(op, "rstd", rstd, x, rows)
    w = _param(op, "weight", weight, x, d)
    gx = io.empty_like(x) if input_grad else None
    gw = io.empty(x, shape) if weight_grad and w is not None else None
    gb = io.empty(x, shape) if bias_grad else None
    io.call(op, "layer_norm_backward", (g, x, w, m, r, gx, gw, gb), kernel, (d,))
    return gx, gw, gb
