"""2-d convolution kernels on arrays (NCHW): forward and explicit backward.

Same arguments as ``torch.nn.functional.conv2d``: ``stride``, ``padding`` (int, pair, ``'valid'`` or
``'same'``), ``dilation`` and ``groups``. Inputs are made C-contiguous (copied if needed: channels_last
tensors, sliced views); a 3-d input ``(C, H, W)`` is one unbatched image. CPU, and CUDA tensors when
``fastnn.cuda.is_available()`` (im2col + the CUDA GEMM, one image at a time).
"""
from __future__ import annotations

from .. import _C
from . import _interop as io


def _pair(op: str, name: str, v) -> tuple[int, int]:
    t = (v, v) if isinstance(v, int) else tuple(v)
    if len(t) == 1:
        t = (t[0], t[0])
    if len(t) != 2 or not all(isinstance(e, int) for e in t):
        raise TypeError(f"{op}: '{name}' must be an int or a pair of ints, got {v!r}")
    return t


def conv_params(op: str, kernel_hw, stride, padding, dilation, groups) -> list[int]:
    """(stride_h, stride_w, pad_top, pad_bottom, pad_left, pad_right, dilation_h, dilation_w, groups), the
    native layer's form; 'same' pads asymmetrically (the extra row/column at the end) as torch does."""
    sh, sw = _pair(op, "stride", stride)
    dh, dw = _pair(op, "dilation", dilation)
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            if (sh, sw) != (1, 1):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
            th, tw = dh * (kernel_hw[0] - 1), dw * (kernel_hw[1] - 1)
            pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        else:
            raise RuntimeError(f"{op}: invalid padding string {padding!r}; expected 'valid' or 'same'")
    else:
        ph, pw = _pair(op, "padding", padding)
        pads = (ph, ph, pw, pw)
    if not isinstance(groups, int):
        raise TypeError(f"{op}: 'groups' must be an int, got {groups!r}")
    return [sh, sw, *pads, dh, dw, groups]


def _operands(op, input, weight):
    x = io.as_input(op, "input", input)
    w = io.as_input(op, "weight", weight)
    io.check_compatible(op, "weight", w, x, "input")
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected a 3-d (unbatched) or 4-d (batched) input, got shape {tuple(x.shape)}")
    if w.ndim != 4:
        raise RuntimeError(f"{op}: weight must be 4-d (out_channels, in_channels / groups, kH, kW), got shape "
                           f"{tuple(w.shape)}")
    return x, w


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, kernel: str | None = None):
    """``torch.nn.functional.conv2d`` on fastnn's kernels.
    input ``(N, C_in, H, W)`` or ``(C_in, H, W)``, weight ``(C_out, C_in / groups, kH, kW)``, bias ``(C_out,)``.
    float32 convolutions with stride 1 whose output rows are as wide as the input's (3x3 padding 1, ...) run
    the direct kernels (``conv_direct_f32``), the rest im2col + GEMM (bias fused into the GEMM's store).
    ``kernel=`` forces a route: ``"im2col"`` or a ``conv_direct_f32`` variant (tests, benchmarks)."""
    op = "fastnn.ops.conv2d"
    x, w = _operands(op, input, weight)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    params = conv_params(op, w.shape[2:], stride, padding, dilation, groups)
    b = None
    if bias is not None:
        b = io.as_input(op, "bias", bias)
        io.check_compatible(op, "bias", b, x, "input")
        if tuple(b.shape) != (w.shape[0],):
            raise RuntimeError(f"{op}: bias must have shape ({w.shape[0]},), got {tuple(b.shape)}")
    oh, ow = _C.conv2d_output_size(x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    out = io.empty(x, (x.shape[0], w.shape[0], oh, ow))
    io.call(op, "conv2d", (x, w, b, out), kernel, (params,))
    return out[0] if unbatched else out


def conv2d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1, *,
                    input_grad: bool = True, weight_grad: bool = True, bias_grad: bool = True,
                    kernel: str | None = None):
    """Gradients of :func:`conv2d`: ``(grad_input, grad_weight, grad_bias)``, each None when not asked for.
    Skipping ``input_grad`` (a network's first layer) saves a third of the work. ``kernel=`` as for
    :func:`conv2d` (the direct route computes the input gradient; the others are GEMMs)."""
    op = "fastnn.ops.conv2d_backward"
    x, w = _operands(op, input, weight)
    g = io.as_input(op, "grad_output", grad_output)
    io.check_compatible(op, "grad_output", g, x, "input")
    unbatched = x.ndim == 3
    if unbatched:
        x, g = x[None], g[None]
    params = conv_params(op, w.shape[2:], stride, padding, dilation, groups)
    gx = io.empty(x, tuple(x.shape)) if input_grad else None
    gw = io.empty(x, tuple(w.shape)) if weight_grad else None
    gb = io.empty(x, (w.shape[0],)) if bias_grad else None
    io.call(op, "conv2d_backward", (g, x, w, gx, gw, gb), kernel, (params,))
    if unbatched and gx is not None:
        gx = gx[0]
    return gx, gw, gb
