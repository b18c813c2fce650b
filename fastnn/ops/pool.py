"""2-d max and average pooling on arrays (NCHW, or CHW unbatched): forward and explicit backward, with
torch's arguments and semantics (ceil_mode, padding, dilation for max; count_include_pad and
divisor_override for average; NaN wins a max window, as in torch).

The max backward recomputes each window's argmax from the input instead of reading stored indices;
``return_indices=True`` still returns torch's int64 flat indices for callers that want them. CPU, and
CUDA tensors when ``fastnn.cuda.is_available()``.
"""
from __future__ import annotations

import sys

import numpy as np

from .. import _C
from . import _interop as io
from .conv import _pair


def pool_params(op, kernel_size, stride, padding, dilation, ceil_mode, count_include_pad=True,
                divisor_override=None) -> list[int]:
    """The native layer's 11 parameters; ``stride=None`` (or empty) means the kernel size, as in torch."""
    kh, kw = _pair(op, "kernel_size", kernel_size)
    sh, sw = (kh, kw) if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _pair(op, "stride", stride)
    ph, pw = _pair(op, "padding", padding)
    dh, dw = _pair(op, "dilation", dilation)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    return [kh, kw, sh, sw, ph, pw, dh, dw, int(bool(ceil_mode)), int(bool(count_include_pad)),
            int(divisor_override or 0)]


def _input(op, input):
    x = io.as_input(op, "input", input)
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected a 3-d (unbatched) or 4-d (batched) input, got shape {tuple(x.shape)}")
    return x


def _out_shape(op, x, params):
    kh, kw, sh, sw, ph, pw, dh, dw, ceil = params[:9]
    oh = _C.pool_output_size(x.shape[-2], kh, sh, ph, dh, bool(ceil), op)
    ow = _C.pool_output_size(x.shape[-1], kw, sw, pw, dw, bool(ceil), op)
    return (*x.shape[:-2], oh, ow)


def _indices_like(x, shape):
    if isinstance(x, np.ndarray):
        idx = np.empty(shape, np.int64)
        return idx, idx.ctypes.data
    idx = sys.modules["torch"].empty(shape, dtype=sys.modules["torch"].int64, device=x.device)
    return idx, idx.data_ptr()


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """``torch.nn.functional.max_pool2d``; with ``return_indices`` returns ``(output, indices)``."""
    op = "fastnn.ops.max_pool2d"
    x = _input(op, input)
    params = pool_params(op, kernel_size, stride, padding, dilation, ceil_mode)
    shape = _out_shape(op, x, params)
    out = io.empty(x, shape)
    idx, ptr = _indices_like(x, shape) if return_indices else (None, 0)
    io.call(op, "max_pool2d", (x, out), None, (ptr, params))
    return (out, idx) if return_indices else out


def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *,
                        kernel: str | None = None):
    """Gradient of :func:`max_pool2d` w.r.t. its input: each output's gradient goes to its window's argmax.
    ``kernel=`` forces a ``max_pool2x2_backward_f32`` variant (float32 2x2 stride-2 windows only)."""
    op = "fastnn.ops.max_pool2d_backward"
    x = _input(op, input)
    g = io.as_input(op, "grad_output", grad_output)
    io.check_compatible(op, "grad_output", g, x, "input")
    params = pool_params(op, kernel_size, stride, padding, dilation, ceil_mode)
    gx = io.empty(x, tuple(x.shape))
    io.call(op, "max_pool2d_backward", (g, x, gx), kernel, (params,))
    return gx


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """``torch.nn.functional.avg_pool2d``."""
    op = "fastnn.ops.avg_pool2d"
    x = _input(op, input)
    params = pool_params(op, kernel_size, stride, padding, 1, ceil_mode, count_include_pad, divisor_override)
    out = io.empty(x, _out_shape(op, x, params))
    io.call(op, "avg_pool2d", (x, out), None, (params,))
    return out


def avg_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    """Gradient of :func:`avg_pool2d` w.r.t. its input (``input`` gives only the shape, dtype and kind)."""
    op = "fastnn.ops.avg_pool2d_backward"
    x = _input(op, input)
    g = io.as_input(op, "grad_output", grad_output)
    io.check_compatible(op, "grad_output", g, x, "input")
    params = pool_params(op, kernel_size, stride, padding, 1, ceil_mode, count_include_pad, divisor_override)
    gx = io.empty(x, tuple(x.shape))
    io.call(op, "avg_pool2d_backward", (g, gx), None, (params,))
    return gx
