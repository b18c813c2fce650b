"""Matrix kernels on arrays: matmul, and the Linear layer's forward and explicit backward.

Operands may be any strided view (transposed, sliced, expanded, negative strides): the GEMM's packing
routines read them in place, so ``a.T`` costs nothing and ``trans_a=True`` is the same product. Results
are new C-contiguous arrays of the inputs' kind unless ``out=`` is given (any array with contiguous rows).
``kernel=`` forces a registered CPU micro-kernel by name (``fastnn.list_kernels()``, family ``gemm_f32``).
"""
from __future__ import annotations

from . import _interop as io


def _check_out(op, out, like, shape):
    io.as_matrix(op, "out", out)
    io.check_compatible(op, "out", out, like, "a")
    io.check_writable(op, "out", out)
    if tuple(out.shape) != shape:
        raise RuntimeError(f"{op}: argument 'out' must have shape {shape}, got {tuple(out.shape)}")
    return out


def _matrix_pair(op, a, b, trans_a, trans_b, names=("a", "b")):
    a = io.as_matrix(op, names[0], a)
    b = io.as_matrix(op, names[1], b)
    io.check_compatible(op, names[1], b, a, names[0])
    m, k = (a.shape[1], a.shape[0]) if trans_a else tuple(a.shape)
    kb, n = (b.shape[1], b.shape[0]) if trans_b else tuple(b.shape)
    if k != kb:
        ta, tb = ("ᵀ" if trans_a else ""), ("ᵀ" if trans_b else "")
        raise RuntimeError(f"{op}: shapes cannot be multiplied: {names[0]}{ta} is ({m}, {k}) and "
                           f"{names[1]}{tb} is ({kb}, {n})")
    return a, b, m, n


def matmul(a, b, *, trans_a: bool = False, trans_b: bool = False, out=None, alpha: float = 1.0,
           beta: float = 0.0, kernel: str | None = None):
    """``alpha * op(a) @ op(b) + beta * out`` with ``op(x) = x.T`` when ``trans_x``; 2-d float32/float64.

    ``beta != 0`` accumulates into ``out`` (gradient accumulation), so it needs ``out``; with ``beta == 0``
    ``out`` is only written (its old values, even NaN, do not matter). Returns ``out`` or a new array.
    """
    op = "fastnn.ops.matmul"
    a, b, m, n = _matrix_pair(op, a, b, trans_a, trans_b)
    if out is None:
        if beta != 0:
            raise ValueError(f"{op}: beta={beta} accumulates into 'out', but no 'out' was given")
        out = io.empty(a, (m, n))
    else:
        _check_out(op, out, a, (m, n))
    io.call(op, "matmul", (a, b, out, None, None), kernel,
            (bool(trans_a), bool(trans_b), float(alpha), float(beta), False))
    return out


def _as_bias(op, bias, like, n):
    if bias is None:
        return None
    bias = io.as_input(op, "bias", bias)
    io.check_compatible(op, "bias", bias, like, "weight")
    if tuple(bias.shape) != (n,):
        raise RuntimeError(f"{op}: argument 'bias' must have shape ({n},), got {tuple(bias.shape)}")
    return bias


def _flatten_input(op, x, in_features):
    if x.ndim == 2 and x.shape[1] == in_features:
        return x
    if x.ndim == 0:
        raise RuntimeError(f"{op}: argument 'input' must have at least 1 dimension, got a 0-d array")
    if x.shape[-1] != in_features:
        raise RuntimeError(f"{op}: input's last dimension is {x.shape[-1]} but weight has in_features={in_features} "
                           f"(input shape {tuple(x.shape)}, weight shape (out_features, {in_features}))")
    return x.reshape(-1, in_features)


def linear(input, weight, bias=None, *, relu: bool = False, kernel: str | None = None):
    """``input @ weight.T + bias`` (then ReLU if ``relu``, fused into the GEMM's store), as torch's
    ``F.linear``. input: ``(*, in_features)``, weight: ``(out_features, in_features)``, bias: ``(out_features,)``.
    """
    op = "fastnn.ops.linear"
    weight = io.as_matrix(op, "weight", weight)
    x = io.as_matrix(op, "input", _flatten_input(op, io._validated(op, "input", input), weight.shape[1]))
    io.check_compatible(op, "input", x, weight, "weight")
    n = weight.shape[0]
    b = _as_bias(op, bias, weight, n)
    out = io.empty(x, (x.shape[0], n))
    io.call(op, "matmul", (x, weight, out, None, b), kernel, (False, True, 1.0, 0.0, bool(relu)))
    return out if input.ndim == 2 else out.reshape(*input.shape[:-1], n)


def linear_backward(grad_output, input, weight, *, input_grad: bool = True, weight_grad: bool = True,
                    bias_grad: bool = True, kernel: str | None = None):
    """Gradients of :func:`linear` (without ``relu``): ``(grad_input, grad_weight, grad_bias)``, each None
    when not asked for. ``grad_input = grad_output @ weight``, ``grad_weight = grad_outputᵀ @ input``,
    ``grad_bias = grad_output.sum(rows)``; grad_output may be an expanded view (the gradient of a sum).
    One native call computes all three.
    """
    op = "fastnn.ops.linear_backward"
    weight = io.as_matrix(op, "weight", weight)
    n, k = weight.shape
    x = io.as_matrix(op, "input", _flatten_input(op, io._validated(op, "input", input), k))
    g = io._validated(op, "grad_output", grad_output)
    if g.shape != (*input.shape[:-1], n):
        raise RuntimeError(f"{op}: grad_output has shape {tuple(g.shape)}, expected {(*input.shape[:-1], n)}")
    g = io.as_matrix(op, "grad_output", g if g.ndim == 2 else g.reshape(-1, n))
    io.check_compatible(op, "input", x, weight, "weight")
    io.check_compatible(op, "grad_output", g, weight, "weight")
    gx = io.empty(x, (x.shape[0], k)) if input_grad else None
    gw = io.empty(x, (n, k)) if weight_grad else None
    gb = io.empty(x, (n,)) if bias_grad else None
    io.call(op, "linear_backward", (g, x, weight, gx, gw, gb), kernel)
    if gx is not None and input.ndim != 2:
        gx = gx.reshape(input.shape)
    return gx, gw, gb
