"""softmax / log_softmax and cross-entropy on arrays: forward and explicit backward functions.

numpy arrays or torch tensors, float32 (CPU: SIMD row kernels, ``softmax_f32``) or float64 (CPU: portable
code); CUDA tensors run fastnn's CUDA kernels when ``fastnn.cuda.is_available()`` (cross-entropy there reads
an out-of-range-target flag back, so it synchronizes its stream). ``kernel=`` forces a ``softmax_f32``
variant (tests, benchmarks). No autograd is recorded here.
"""
from __future__ import annotations

import sys

import numpy as np

from .. import _C
from . import _interop as io

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _dim(op, x, dim):
    if dim is None:
        raise TypeError(f"{op}: 'dim' must be given (torch's implicit dim choice is deprecated)")
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: 'dim' must be an int, got {type(dim).__name__}")
    return int(dim)


def _softmax(op, x, dim, log, out, kernel):
    x = io.as_input(op, "input", x)
    dim = _dim(op, x, dim)
    out = io.empty_like(x) if out is None else io.as_output(op, "out", out, x, "input")
    io.call(op, "softmax", (x, out), kernel, (dim, log))
    return out


def softmax(x, dim, *, out=None, kernel: str | None = None):
    """``exp(x) / sum(exp(x))`` along ``dim`` (max-shifted: no overflow). ``out`` may be ``x`` itself."""
    return _softmax("fastnn.ops.softmax", x, dim, False, out, kernel)


def log_softmax(x, dim, *, out=None, kernel: str | None = None):
    """``x - logsumexp(x)`` along ``dim``. ``out`` may be ``x`` itself."""
    return _softmax("fastnn.ops.log_softmax", x, dim, True, out, kernel)


def _softmax_backward(op, grad_output, output, dim, log, out, kernel):
    g = io.as_input(op, "grad_output", grad_output)
    y = io.as_input(op, "output", output)
    io.check_like(op, "output", y, g, "grad_output")
    dim = _dim(op, g, dim)
    out = io.empty_like(g) if out is None else io.as_output(op, "out", out, g, "grad_output")
    io.call(op, "softmax_backward", (g, y, out), kernel, (dim, log))
    return out


def softmax_backward(grad_output, output, dim, *, out=None, kernel: str | None = None):
    """Gradient of :func:`softmax` from its ``output``: ``output * (grad_output - sum(grad_output * output))``."""
    return _softmax_backward("fastnn.ops.softmax_backward", grad_output, output, dim, False, out, kernel)


def log_softmax_backward(grad_output, output, dim, *, out=None, kernel: str | None = None):
    """Gradient of :func:`log_softmax` from its ``output``: ``grad_output - exp(output) * sum(grad_output)``."""
    return _softmax_backward("fastnn.ops.log_softmax_backward", grad_output, output, dim, True, out, kernel)


# ------------------------------------------------------------------------------------------ cross-entropy

_FORMS = {"indices": 0, "nll": 1, "probs": 2}


def _target(op, target, x):
    """The class indices as a C-contiguous int64 array of x's kind, and its address."""
    if isinstance(x, np.ndarray):
        if not isinstance(target, np.ndarray) or target.dtype != np.int64:
            raise TypeError(f"{op}: 'target' must be an int64 numpy array of class indices, got "
                            f"{getattr(target, 'dtype', type(target).__name__)}")
        t = np.ascontiguousarray(target)
        return t, t.ctypes.data if t.size else 0
    torch = sys.modules["torch"]
    if not isinstance(target, torch.Tensor) or target.dtype != torch.int64:
        raise TypeError(f"{op}: 'target' must be an int64 (Long) tensor of class indices, got "
                        f"{getattr(target, 'dtype', type(target).__name__)}")
    if target.device != x.device:
        raise ValueError(f"{op}: 'target' is on {target.device} but 'input' is on {x.device}")
    t = target.contiguous()
    return t, t.data_ptr() if t.numel() else 0


def _is_float_array(t) -> bool:
    if isinstance(t, np.ndarray):
        return t.dtype.kind == "f"
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(t, torch.Tensor) and t.is_floating_point()


def _ce_operands(op, input, target, weight, reduction, label_smoothing, nll=False):
    """(x as (rows, C), target (indices: int64 (rows,), probabilities: (rows, C)), its address (indices), weight,
    reduction code, form code, a function that puts (rows, C) results back in input's layout, the shape of a
    per-row loss)."""
    x = io.as_input(op, "input", input)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction")
    if not isinstance(label_smoothing, (int, float)) or isinstance(label_smoothing, bool):
        raise TypeError(f"{op}: 'label_smoothing' must be a float, got {type(label_smoothing).__name__}")
    probs = not nll and _is_float_array(target)
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dimension (C,), got a 0-d array")
    if probs:
        t = io.as_input(op, "target", target)
        io.check_compatible(op, "target", t, x, "input")
        if tuple(t.shape) != tuple(x.shape):
            raise ValueError(f"{op}: class-probability targets must have the input's shape {tuple(x.shape)}, got "
                             f"{tuple(t.shape)}")
    else:
        t, _ = _target(op, target, x)
    rows_shape = () if x.ndim == 1 else (x.shape[0], *x.shape[2:])
    if not probs:
        if x.ndim == 1 and t.ndim != 0:  # unbatched (C,) with a 0-d target
            raise ValueError(f"{op}: an unbatched input (C,) takes a 0-d target, got shape {tuple(t.shape)}")
        if x.ndim > 1 and tuple(t.shape) != rows_shape:
            raise ValueError(f"{op}: Expected target of shape {rows_shape} for input of shape {tuple(x.shape)}, got "
                             f"{tuple(t.shape)}")
    C = x.shape[0] if x.ndim == 1 else x.shape[1]
    if x.ndim > 2:  # (N, C, d...) -> (N * d..., C)
        perm = (0, *range(2, x.ndim), 1)
        back_shape = tuple(x.shape[i] for i in perm)
        inv = tuple(np.argsort(perm))

        def to_rows(a):
            a = a.transpose(perm) if isinstance(a, np.ndarray) else a.permute(perm)
            return io.as_input(op, "input", a.reshape(-1, C))

        def restore(a):
            a = a.reshape(back_shape)
            return np.ascontiguousarray(a.transpose(inv)) if isinstance(a, np.ndarray) else a.permute(inv).contiguous()
    else:
        to_rows = lambda a: a.reshape(-1, C)  # noqa: E731
        restore = lambda a: a.reshape(x.shape)  # noqa: E731
    x2 = to_rows(x)
    if probs:
        t2, tp = io.as_input(op, "target", to_rows(t)), 0
    else:
        t2, tp = _target(op, t.reshape(-1), x)
    w = None
    if weight is not None:
        w = io.as_input(op, "weight", weight)
        io.check_compatible(op, "weight", w, x, "input")
        if tuple(w.shape) != (C,):
            raise RuntimeError(f"{op}: weight tensor should be defined either for all {C} classes or no classes but "
                               f"got weight tensor of shape: {tuple(w.shape)}")
    form = _FORMS["nll" if nll else "probs" if probs else "indices"]
    return x2, t2, tp, w, _REDUCTIONS[reduction], form, restore, rows_shape


def _ce_call(op, input, target, weight, ignore_index, reduction, label_smoothing, grad_output, want_grad, kernel,
             nll=False):
    x2, t2, tp, w, red, form, restore, rows_shape = _ce_operands(op, input, target, weight, reduction,
                                                                 label_smoothing, nll)
    loss = io.empty(x2, (x2.shape[0],) if red == 0 else (1,))
    grad = io.empty(x2, tuple(x2.shape)) if want_grad else None
    go = None
    if grad_output is not None:
        go = io.as_input(op, "grad_output", grad_output)
        io.check_compatible(op, "grad_output", go, x2, "input")
        go = go.reshape(-1)
    probs = t2 if form == _FORMS["probs"] else None
    io.call(op, "cross_entropy", (x2, w, loss, grad, go, probs), kernel,
            (tp, int(ignore_index), float(label_smoothing), red, form))
    del t2  # kept alive until the call returned: the kernel read it through its address
    loss = loss.reshape(rows_shape) if red == 0 else loss.reshape(())
    return loss, (restore(grad) if want_grad else None)


def cross_entropy(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0, *, kernel: str | None = None):
    """torch.nn.functional.cross_entropy: log-softmax and the negative log-likelihood in one pass over each row.
    input ``(N, C)``, ``(C,)`` or ``(N, C, d...)``; target: class indices, int64 ``(N,)``, ``()`` or ``(N, d...)``,
    or class probabilities of the input's shape and dtype (then 'mean' divides by the rows, not the weights)."""
    return _ce_call("fastnn.ops.cross_entropy", input, target, weight, ignore_index, reduction, label_smoothing,
                    None, False, kernel)[0]


def cross_entropy_backward(grad_output, input, target, weight=None, ignore_index: int = -100,
                           reduction: str = "mean", label_smoothing: float = 0.0, *, kernel: str | None = None):
    """Gradient of :func:`cross_entropy` with respect to ``input`` for the upstream gradient ``grad_output``
    (0-d for 'mean'/'sum', the loss's shape for 'none'), recomputed from ``input`` in one pass per row."""
    return _ce_call("fastnn.ops.cross_entropy_backward", input, target, weight, ignore_index, reduction,
                    label_smoothing, grad_output, True, kernel)[1]


def cross_entropy_with_grad(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                            label_smoothing: float = 0.0, *, kernel: str | None = None):
    """``(loss, grad)``: the loss and its gradient for an upstream gradient of 1, in one pass (what autograd's
    forward saves; its backward only scales ``grad``)."""
    torch = sys.modules.get("torch")
    if (kernel is None and torch is not None and type(input) is torch.Tensor and type(target) is torch.Tensor
            and input.dim() == 2 and target.dim() == 1 and input.is_cpu and target.is_cpu
            and input.dtype in (torch.float32, torch.float64) and target.dtype == torch.int64
            and input.is_contiguous() and target.is_contiguous() and target.shape[0] == input.shape[0]
            and weight is None and reduction in _REDUCTIONS and isinstance(label_smoothing, float)):
        # the common case (a classifier's logits, class indices, no weights) without the general checks
        # above: ~10 us less per call, most of a small network's loss
        red = _REDUCTIONS[reduction]
        loss = torch.empty(input.shape[0] if red == 0 else 1, dtype=input.dtype)
        grad = io.empty(input, input.shape)
        _C.cross_entropy(io.view(input), None, io.view(loss), io.view(grad), None, None,
                         target.data_ptr() if target.numel() else 0, int(ignore_index), label_smoothing, red, 0, "")
        return (loss if red == 0 else loss.reshape(())), grad
    return _ce_call("fastnn.ops.cross_entropy", input, target, weight, ignore_index, reduction, label_smoothing,
                    None, True, kernel)


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean", *,
             kernel: str | None = None):
    """torch.nn.functional.nll_loss: ``-weight[t] * input[t]`` per row (input: log-probabilities ``(N, C)``,
    ``(C,)`` or ``(N, C, d...)``; target int64 class indices), 'mean' over the kept rows' weights."""
    return _ce_call("fastnn.ops.nll_loss", input, target, weight, ignore_index, reduction, 0.0, None, False, kernel,
                    nll=True)[0]


def nll_loss_backward(grad_output, input, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                      *, kernel: str | None = None):
    """Gradient of :func:`nll_loss` with respect to ``input``: ``-weight[t] * grad_output`` (over the mean's
    divisor) at each row's target, 0 elsewhere."""
    return _ce_call("fastnn.ops.nll_loss_backward", input, target, weight, ignore_index, reduction, 0.0, grad_output,
                    True, kernel, nll=True)[1]
