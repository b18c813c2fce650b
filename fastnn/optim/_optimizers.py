"""fastnn's optimizers: torch.optim's classes with ``step`` on fastnn's multi-tensor kernels.

Each class subclasses its torch.optim counterpart, so the constructor, defaults, param groups,
``add_param_group``, ``zero_grad``, hooks, ``state_dict`` / ``load_state_dict`` (torch's exact layout, both
ways) and ``lr_scheduler``s are torch's own; only ``step`` differs: per param group, one native call
(``fastnn.ops.*_step``) updates every tensor in a single pass over its memory (CPU: SIMD, threads across and
within tensors; CUDA: a launch per 16 tensors). ``foreach``, ``fused`` and ``capturable`` are accepted for
compatibility and change nothing here.

Where the kernels do not apply, ``step`` is torch's own for the whole call: ``differentiable=True``,
dtypes other than float32/float64, parameters that are not C-contiguous (e.g. channels_last), tensor
subclasses, devices other than the CPU and a usable CUDA device. Sparse gradients, complex parameters and
parameters on different devices in one group raise clear errors.
"""
from __future__ import annotations

import torch

from .. import cuda, ops

_FLOATS = (torch.float32, torch.float64)


def _kernel_ok(name: str, group, params) -> bool:
    """Whether fastnn's kernels can step this group (raises for what no optimizer here supports)."""
    devices = {p.device for p in params}
    if len(devices) > 1:
        raise ValueError(f"fastnn.optim.{name}: the parameters of one param group are on different devices "
                         f"({', '.join(sorted(str(d) for d in devices))}); put each device's in its own group")
    if any(torch.is_complex(p) for p in params):
        raise TypeError(f"fastnn.optim.{name}: complex parameters are not supported; use torch.optim.{name}")
    if group.get("differentiable", False):
        return False
    device = next(iter(devices))
    if not (device.type == "cpu" or (device.type == "cuda" and cuda.is_available())):
        return False
    return all(type(p) in (torch.Tensor, torch.nn.Parameter) and p.dtype in _FLOATS and p.is_contiguous()
               for p in params)


def _contiguous(ts):
    return [t if t.is_contiguous() else t.contiguous() for t in ts]


def _step_counts(steps):
    torch._foreach_add_(steps, 1)
    return [float(s) for s in steps]


def _no_sparse(name, has_sparse):
    if has_sparse:
        raise RuntimeError(f"fastnn.optim.{name}: sparse gradients are not supported; use torch.optim.{name}")


def _adam_plan(opt, group, name):
    params, grads, m, v, vmax, steps = [], [], [], [], [], []
    opt._init_group(group, params, grads, m, v, vmax, steps)
    if not params:
        return lambda: None
    if not _kernel_ok(name, group, params):
        return None

    def run():
        ops.adam_step(params, _contiguous(grads), m, v, steps, lr=group["lr"], betas=group["betas"],
                      eps=group["eps"], weight_decay=group["weight_decay"], amsgrad=group["amsgrad"],
                      max_exp_avg_sqs=vmax, maximize=group["maximize"],
                      decoupled_weight_decay=group.get("decoupled_weight_decay", False))
    return run


def _sgd_plan(opt, group, name):
    params, grads, bufs = [], [], []
    _no_sparse(name, opt._init_group(group, params, grads, bufs))
    if not params:
        return lambda: None
    if not _kernel_ok(name, group, params):
        return None

    def run():
        momentum = group["momentum"]
        first = [b is None for b in bufs] if momentum != 0 else None
        buffers = [torch.empty_like(p) if b is None else b for p, b in zip(params, bufs)] if momentum != 0 else None
        ops.sgd_step(params, _contiguous(grads), buffers, lr=group["lr"], momentum=momentum,
                     dampening=group["dampening"], weight_decay=group["weight_decay"], nesterov=group["nesterov"],
                     maximize=group["maximize"], first=first)
        if momentum != 0:
            for p, b in zip(params, buffers):
                opt.state[p]["momentum_buffer"] = b
    return run


def _rmsprop_plan(opt, group, name):
    params, grads, sq, bufs, gavg, steps = [], [], [], [], [], []
    opt._init_group(group, params, grads, sq, bufs, gavg, steps)
    if not params:
        return lambda: None
    if not _kernel_ok(name, group, params):
        return None

    def run():
        _step_counts(steps)
        ops.rmsprop_step(params, _contiguous(grads), sq, lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                         weight_decay=group["weight_decay"], momentum=group["momentum"], centered=group["centered"],
                         momentum_buffers=bufs or None, grad_avgs=gavg or None, maximize=group["maximize"])
    return run


def _adagrad_plan(opt, group, name):
    params, grads, sums, steps = [], [], [], []
    has_sparse, _ = opt._init_group(group, params, grads, sums, steps)
    _no_sparse(name, has_sparse)
    if not params:
        return lambda: None
    if not _kernel_ok(name, group, params):
        return None

    def run():
        ops.adagrad_step(params, _contiguous(grads), sums, steps, lr=group["lr"],
                         lr_decay=group["lr_decay"], weight_decay=group["weight_decay"], eps=group["eps"],
                         maximize=group["maximize"])
    return run


def _torch_step(torch_class, opt):
    """torch's own step on opt (the closure already ran). Once any instance of torch_class exists, its step
    is wrapped with the hooks; opt's step already ran them, so call the function beneath."""
    fn = torch_class.step
    if getattr(fn, "hooked", False):
        fn = fn.__wrapped__
    fn(opt)


def _fused_step(opt, closure, plan, torch_class, name):
    loss = None
    if closure is not None:
        with torch.enable_grad():
            loss = closure()
    with torch.no_grad():
        plans = [plan(opt, group, name) for group in opt.param_groups]
        if all(p is not None for p in plans):
            for run in plans:
                run()
            return loss
    _torch_step(torch_class, opt)  # somewhere the kernels do not apply: torch's step for every group
    return loss


class Adam(torch.optim.Adam):
    __doc__ = "torch.optim.Adam with its step on fastnn's fused multi-tensor kernel.\n\n" + (__doc__ or "")

    def step(self, closure=None):
        return _fused_step(self, closure, _adam_plan, torch.optim.Adam, "Adam")


class AdamW(torch.optim.AdamW):
    __doc__ = "torch.optim.AdamW with its step on fastnn's fused multi-tensor kernel.\n\n" + (__doc__ or "")

    def step(self, closure=None):
        return _fused_step(self, closure, _adam_plan, torch.optim.AdamW, "AdamW")


class SGD(torch.optim.SGD):
    __doc__ = "torch.optim.SGD with its step on fastnn's fused multi-tensor kernel.\n\n" + (__doc__ or "")

    def step(self, closure=None):
        return _fused_step(self, closure, _sgd_plan, torch.optim.SGD, "SGD")


class RMSprop(torch.optim.RMSprop):
    __doc__ = "torch.optim.RMSprop with its step on fastnn's fused multi-tensor kernel.\n\n" + (__doc__ or "")

    def step(self, closure=None):
        return _fused_step(self, closure, _rmsprop_plan, torch.optim.RMSprop, "RMSprop")


class Adagrad(torch.optim.Adagrad):
    __doc__ = "torch.optim.Adagrad with its step on fastnn's fused multi-tensor kernel.\n\n" + (__doc__ or "")

    def step(self, closure=None):
        return _fused_step(self, closure, _adagrad_plan, torch.optim.Adagrad, "Adagrad")
