"""Optimizer steps on arrays, in place: one native call updates every tensor of a list (a param group).

``params`` and the state arrays are updated in place, so they must be C-contiguous float32/float64 numpy
arrays or torch tensors (CPU; CUDA when ``fastnn.cuda.is_available()``); ``grads`` are read. The formulas
and their order of operations are torch.optim's (csrc/cpu/optim.h). ``steps`` are each tensor's step count
*after* this step (1 on the first), or torch.optim's ``state["step"]`` tensors, which the call counts up. ``kernel=`` forces an ``optim_f32`` variant (tests, benchmarks).
These need no torch: ``fastnn.optim`` wraps them as torch.optim drop-ins.
"""
from __future__ import annotations

import sys
from typing import Sequence

import numpy as np

from .. import _C, cuda
from . import _interop as io


def _views(op, name, arrays):
    views = []
    for i, a in enumerate(arrays):
        io._validated(op, f"{name}[{i}]", a)
        views.append(io.view(a))
    return views


def _flat(lists):
    """([addresses], [sizes]) per list when every array is a plain contiguous torch tensor of one float dtype on
    one device (the lean binding: no view descriptor per array), else None."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(lists[0][0], torch.Tensor):
        return None
    first = lists[0][0]
    dtype, device = first.dtype, first.device
    if dtype not in (torch.float32, torch.float64) or not (device.type == "cpu" or cuda.is_available()):
        return None
    plain = (torch.Tensor, torch.nn.Parameter)
    cpu = device.type == "cpu"
    ptrs, sizes = [], []
    for lst in lists:
        p, n = [], []
        for a in lst:
            if (type(a) not in plain or a.dtype != dtype or not a.is_contiguous()
                    or (not a.is_cpu if cpu else a.device != device)):
                return None
            p.append(a.data_ptr())
            n.append(a.numel())
        ptrs.append(p)
        sizes.append(n)
    return dtype, device, ptrs, sizes


def _counters(steps):
    """The addresses of torch.optim's state["step"] tensors when every one is a float32 CPU scalar (the native
    call then increments them itself: ~1 us each less than torch ops), else None."""
    torch = sys.modules.get("torch")
    if torch is None or not steps or not all(type(s) is torch.Tensor and s.dtype == torch.float32 and s.is_cpu
                                             and s.dim() == 0 for s in steps):
        return None
    return [s.data_ptr() for s in steps]


def _step(op, kind, params, grads, states, steps, first, hyper, kernel):
    params, grads = list(params), list(grads)
    if len(params) != len(grads):
        raise ValueError(f"{op}: {len(params)} params but {len(grads)} grads")
    states = [list(s) if s is not None else [] for s in states]
    for s in states:
        if s and len(s) != len(params):
            raise ValueError(f"{op}: {len(s)} state arrays for {len(params)} params")
    if not params:
        return
    steps, first = list(steps), [bool(f) for f in first]
    flat = _flat((params, grads, *states))
    counters = _counters(steps) if flat is not None else None
    torch = sys.modules.get("torch")
    if counters is None and torch is not None and any(isinstance(t, torch.Tensor) for t in steps):
        torch._foreach_add_(steps, 1)  # torch.optim's state["step"] tensors: counted up here
    steps = [] if counters is not None else [float(t) for t in steps]
    if flat is not None:
        dtype, device, ptrs, sizes = flat
        name = "float32" if dtype == torch.float32 else "float64"
        if device.type == "cpu":
            _C.optimizer_step_flat(kind, name, 0, ptrs, sizes, steps, first, hyper, counters or [], kernel or "")
        elif kernel:
            raise ValueError(f"{op}: kernel={kernel!r} selects a CPU kernel variant, but the arrays are on {device}")
        else:
            cuda.module().optimizer_step_flat(kind, name, device.index or 0, ptrs, sizes, steps, first, hyper,
                                              counters or [], io.current_stream(device))
        return
    for i, a in enumerate(params):
        if isinstance(a, np.ndarray) and not a.flags.writeable:
            raise ValueError(f"{op}: params[{i}] is read-only")
    args = (kind, _views(op, "params", params), _views(op, "grads", grads),
            *[_views(op, "state", s) for s in states], steps, first, hyper)
    first_param = params[0]
    if isinstance(first_param, np.ndarray) or first_param.is_cpu:
        _C.optimizer_step(*args, kernel or "")
        return
    if kernel:
        raise ValueError(f"{op}: kernel={kernel!r} selects a CPU kernel variant, but the arrays are on {first_param.device}")
    cuda.module().optimizer_step(*args, io.current_stream(first_param.device))


def _float(op, name, v):
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(v, torch.Tensor):
        if v.numel() != 1:
            raise ValueError(f"{op}: '{name}' must be a number or a one-element tensor, got shape {tuple(v.shape)}")
        return float(v.item())
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise TypeError(f"{op}: '{name}' must be a number, got {type(v).__name__}")
    return float(v)


def adam_step(params: Sequence, grads: Sequence, exp_avgs: Sequence, exp_avg_sqs: Sequence, steps: Sequence, *,
              lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
              max_exp_avg_sqs: Sequence | None = None, maximize: bool = False, decoupled_weight_decay: bool = False,
              kernel: str | None = None) -> None:
    """One Adam step (AdamW's with ``decoupled_weight_decay=True``) on every tensor, in place: params, exp_avgs,
    exp_avg_sqs (and max_exp_avg_sqs with amsgrad)."""
    op = "fastnn.ops.adam_step"
    if amsgrad and max_exp_avg_sqs is None:
        raise ValueError(f"{op}: amsgrad needs max_exp_avg_sqs")
    b1, b2 = (_float(op, "betas", b) for b in betas)
    hyper = dict(lr=_float(op, "lr", lr), beta1=b1, beta2=b2, eps=_float(op, "eps", eps),
                 weight_decay=_float(op, "weight_decay", weight_decay), amsgrad=bool(amsgrad),
                 maximize=bool(maximize), decoupled=bool(decoupled_weight_decay))
    if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
        raise ValueError(f"{op}: Invalid beta parameters: {tuple(betas)}")
    _step(op, "adam", params, grads, (exp_avgs, exp_avg_sqs, max_exp_avg_sqs if amsgrad else None), steps, (),
          hyper, kernel)


def adamw_step(params, grads, exp_avgs, exp_avg_sqs, steps, *, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
               weight_decay: float = 1e-2, amsgrad: bool = False, max_exp_avg_sqs=None, maximize: bool = False,
               kernel: str | None = None) -> None:
    """One AdamW step: :func:`adam_step` with decoupled weight decay (``p *= 1 - lr * weight_decay`` first)."""
    adam_step(params, grads, exp_avgs, exp_avg_sqs, steps, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
              amsgrad=amsgrad, max_exp_avg_sqs=max_exp_avg_sqs, maximize=maximize, decoupled_weight_decay=True,
              kernel=kernel)


def sgd_step(params: Sequence, grads: Sequence, momentum_buffers: Sequence | None = None, *, lr=1e-3,
             momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
             maximize: bool = False, first: Sequence | None = None, kernel: str | None = None) -> None:
    """One SGD step, in place. With momentum, ``momentum_buffers`` (one per param) are updated too; where
    ``first[i]`` is true the buffer starts as the gradient (torch's first step; default: all False)."""
    op = "fastnn.ops.sgd_step"
    hyper = dict(lr=_float(op, "lr", lr), momentum=_float(op, "momentum", momentum),
                 dampening=_float(op, "dampening", dampening), weight_decay=_float(op, "weight_decay", weight_decay),
                 nesterov=bool(nesterov), maximize=bool(maximize))
    if hyper["momentum"] < 0:
        raise ValueError(f"{op}: Invalid momentum value: {momentum}")
    if nesterov and (hyper["momentum"] <= 0 or hyper["dampening"] != 0):
        raise ValueError(f"{op}: Nesterov momentum requires a momentum and zero dampening")
    params = list(params)
    if hyper["momentum"] != 0:
        if momentum_buffers is None:
            raise ValueError(f"{op}: momentum needs momentum_buffers")
        first = [False] * len(params) if first is None else list(first)
    else:
        momentum_buffers, first = None, []
    _step(op, "sgd", params, grads, (momentum_buffers, None, None), (), first, hyper, kernel)


def rmsprop_step(params: Sequence, grads: Sequence, square_avgs: Sequence, *, lr=1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 momentum_buffers: Sequence | None = None, grad_avgs: Sequence | None = None, maximize: bool = False,
                 kernel: str | None = None) -> None:
    """One RMSprop step, in place (``momentum_buffers`` with momentum > 0, ``grad_avgs`` when centered)."""
    op = "fastnn.ops.rmsprop_step"
    hyper = dict(lr=_float(op, "lr", lr), alpha=_float(op, "alpha", alpha), eps=_float(op, "eps", eps),
                 weight_decay=_float(op, "weight_decay", weight_decay), momentum=_float(op, "momentum", momentum),
                 centered=bool(centered), maximize=bool(maximize))
    if not hyper["alpha"] >= 0:
        raise ValueError(f"{op}: Invalid alpha value: {alpha}")
    if hyper["momentum"] > 0 and momentum_buffers is None:
        raise ValueError(f"{op}: momentum needs momentum_buffers")
    if centered and grad_avgs is None:
        raise ValueError(f"{op}: centered needs grad_avgs")
    _step(op, "rmsprop", params, grads,
          (square_avgs, momentum_buffers if hyper["momentum"] > 0 else None, grad_avgs if centered else None), (), (),
          hyper, kernel)


def adagrad_step(params: Sequence, grads: Sequence, state_sums: Sequence, steps: Sequence, *, lr=1e-2,
                 lr_decay: float = 0.0, weight_decay: float = 0.0, eps: float = 1e-10, maximize: bool = False,
                 kernel: str | None = None) -> None:
    """One Adagrad step, in place (params and state_sums)."""
    op = "fastnn.ops.adagrad_step"
    hyper = dict(lr=_float(op, "lr", lr), lr_decay=_float(op, "lr_decay", lr_decay), eps=_float(op, "eps", eps),
                 weight_decay=_float(op, "weight_decay", weight_decay), maximize=bool(maximize))
    if hyper["lr_decay"] < 0:
        raise ValueError(f"{op}: Invalid lr_decay value: {lr_decay}")
    _step(op, "adagrad", params, grads, (state_sums, None, None), steps, (), hyper, kernel)
