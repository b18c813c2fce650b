"""The fused optimizers against torch.optim: every optim_f32 kernel variant (and float64) over N steps of
each optimizer and option, on tensor sizes around the vector width and the thread chunk; the
fastnn.optim classes as drop-ins (param groups, state_dict both ways mid-training, lr schedulers, lr as a
tensor, params without grad, fallbacks to torch's step, clear errors) and the numpy-only array API."""
import copy

import numpy as np
import pytest
import torch

import fastnn
import fastnn.optim as optim
from fastnn import ops
from helpers import skip_unless_usable

FAMILIES = ("optim_f32",)  # see test_registry.py
KERNELS = [k["name"] for k in fastnn.list_kernels() if k["family"] in FAMILIES]
SIZES = [1, 15, 16, 17, 33, 1000, (1 << 16) + 5]  # tails of 8/16 lanes; more than one 64K thread chunk

# name: (torch class, fastnn class, constructor options to test)
CASES = {
    "Adam": [dict(lr=1e-2), dict(lr=1e-2, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1),
             dict(lr=1e-2, amsgrad=True, maximize=True), dict(lr=1e-2, betas=(0.4, 0.3))],
    "AdamW": [dict(lr=1e-2), dict(lr=1e-2, weight_decay=0.3, amsgrad=True)],
    "SGD": [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=1e-2),
            dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)],
    "RMSprop": [dict(lr=1e-3), dict(lr=1e-3, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01),
                dict(lr=1e-3, alpha=0.3, centered=True)],
    "Adagrad": [dict(lr=0.1), dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.5,
                                   maximize=True)],
}
ALL_CASES = [(name, kw) for name, kws in CASES.items() for kw in kws]


def _case_id(case):
    name, kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


def _params(sizes, dtype=torch.float32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(n, generator=gen, dtype=dtype).requires_grad_() for n in sizes]


def _run(opt_class, params, kw, steps=5, seed=1):
    """`steps` optimizer steps with fixed pseudo-random gradients; returns the optimizer."""
    opt = opt_class(params, **kw)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        for p in params:
            p.grad = torch.randn(p.shape, generator=gen, dtype=p.dtype) * 3
        opt.step()
    return opt


def _assert_same_state(ours, theirs, tol):
    for p_ours, p_theirs in zip(ours.param_groups[0]["params"], theirs.param_groups[0]["params"]):
        torch.testing.assert_close(p_ours, p_theirs, **tol)
        s_ours, s_theirs = ours.state[p_ours], theirs.state[p_theirs]
        assert s_ours.keys() == s_theirs.keys()
        for k in s_theirs:
            if isinstance(s_theirs[k], torch.Tensor):
                torch.testing.assert_close(s_ours[k], s_theirs[k], **tol, msg=f"state {k!r}")
            else:
                assert s_ours[k] == s_theirs[k]


def _tol(dtype):
    # The gradients are ~3 in size: the states' rounding differences (fma vs separate multiply and add, an ulp
    # per step) show as ~1e-7 absolute errors even where cancellation makes a value small.
    return dict(rtol=2e-6, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_every_kernel_matches_torch_over_steps(case, kernel, monkeypatch):
    skip_unless_usable(kernel)
    name, kw = case
    from fastnn.ops import optim as ops_optim
    orig = ops_optim._step
    monkeypatch.setattr(ops_optim, "_step", lambda *a: orig(*a[:-1], kernel))
    ours = _run(getattr(optim, name), _params(SIZES), kw)
    theirs = _run(getattr(torch.optim, name), _params(SIZES), dict(kw, foreach=False))
    _assert_same_state(ours, theirs, _tol(torch.float32))


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_float64_params_run_the_reference_math(case):
    name, kw = case
    ours = _run(getattr(optim, name), _params([7, 300], torch.float64), kw)
    theirs = _run(getattr(torch.optim, name), _params([7, 300], torch.float64), dict(kw, foreach=False))
    _assert_same_state(ours, theirs, _tol(torch.float64))


def test_special_values_propagate_like_torch():
    for name, kw in [("Adam", dict(lr=1e-2, amsgrad=True)), ("SGD", dict(lr=0.1, momentum=0.9))]:
        results = []
        for cls in (getattr(optim, name), getattr(torch.optim, name)):
            p = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0], requires_grad=True)
            opt = cls([p], **kw)
            for g in ([float("nan"), 1.0, float("inf"), -1.0, 0.0], [1.0, 1.0, 1.0, float("-inf"), 1e38]):
                p.grad = torch.tensor(g)
                opt.step()
            results.append((p.detach().clone(), copy.deepcopy(opt.state_dict()["state"])))
        torch.testing.assert_close(results[0][0], results[1][0], equal_nan=True)


def test_param_groups_add_param_group_and_params_without_grad():
    torch.manual_seed(0)
    a, b = torch.nn.Linear(5, 4), torch.nn.Linear(4, 3)
    a2, b2 = copy.deepcopy(a), copy.deepcopy(b)
    ours = optim.Adam([{"params": a.parameters(), "lr": 1e-2}], lr=1e-3, betas=(0.8, 0.99))
    theirs = torch.optim.Adam([{"params": a2.parameters(), "lr": 1e-2}], lr=1e-3, betas=(0.8, 0.99))
    ours.add_param_group({"params": b.parameters(), "weight_decay": 0.1})
    theirs.add_param_group({"params": b2.parameters(), "weight_decay": 0.1})
    x = torch.randn(6, 5)
    for step in range(4):
        for (m1, m2, o) in ((a, b, ours), (a2, b2, theirs)):
            o.zero_grad()
            m2(m1(x)).sum().backward()
            if step == 2:
                m1.bias.grad = None  # a parameter without a gradient this step: skipped, its state untouched
            o.step()
    for p, q in zip(list(a.parameters()) + list(b.parameters()), list(a2.parameters()) + list(b2.parameters())):
        torch.testing.assert_close(p, q, rtol=2e-6, atol=2e-7)
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    assert float(ours.state[a.bias]["step"]) == 3.0


@pytest.mark.parametrize("name", ["Adam", "AdamW", "SGD", "RMSprop", "Adagrad"])
def test_state_dict_round_trips_both_ways_mid_training(name):
    kw = dict(CASES[name][-1])
    sizes = [10, 33]
    ref = _run(getattr(torch.optim, name), ref_params := _params(sizes), dict(kw, foreach=False), steps=3)
    ours = _run(getattr(optim, name), ours_params := _params(sizes), kw, steps=3)
    # torch's state into fastnn's optimizer, and fastnn's into torch's: the layouts are the same
    sd_theirs, sd_ours = ref.state_dict(), ours.state_dict()
    assert [dict(g, foreach=None) for g in sd_theirs["param_groups"]] == sd_ours["param_groups"]
    for k in sd_theirs["state"][0]:
        assert type(sd_theirs["state"][0][k]) is type(sd_ours["state"][0][k])
        if isinstance(sd_theirs["state"][0][k], torch.Tensor):
            assert sd_theirs["state"][0][k].dtype == sd_ours["state"][0][k].dtype
            assert sd_theirs["state"][0][k].shape == sd_ours["state"][0][k].shape
    p1 = [p.detach().clone().requires_grad_() for p in ref_params]
    p2 = [p.detach().clone().requires_grad_() for p in ref_params]
    fast = getattr(optim, name)(p1, **kw)
    fast.load_state_dict(copy.deepcopy(sd_theirs))
    slow = getattr(torch.optim, name)(p2, **dict(kw, foreach=False))
    slow.load_state_dict(copy.deepcopy(sd_theirs))
    # and fastnn's state dict loads into torch's optimizer, which continues as fastnn's does
    p3 = [p.detach().clone().requires_grad_() for p in ours_params]
    p4 = [p.detach().clone().requires_grad_() for p in ours_params]
    back = getattr(torch.optim, name)(p3, **dict(kw, foreach=False))
    back.load_state_dict(copy.deepcopy(sd_ours))
    same = getattr(optim, name)(p4, **kw)
    same.load_state_dict(copy.deepcopy(sd_ours))
    gen = torch.Generator().manual_seed(9)
    for _ in range(3):
        for a, b, c, d in zip(p1, p2, p3, p4):
            a.grad = torch.randn(a.shape, generator=gen)
            b.grad, c.grad, d.grad = a.grad.clone(), a.grad.clone(), a.grad.clone()
        for o in (fast, slow, back, same):
            o.step()
    _assert_same_state(fast, slow, _tol(torch.float32))
    _assert_same_state(same, back, _tol(torch.float32))


@pytest.mark.parametrize("scheduler", ["StepLR", "MultiStepLR", "ExponentialLR"])
def test_lr_schedulers_change_the_lr_the_kernels_use(scheduler):
    args = {"StepLR": dict(step_size=2, gamma=0.5), "MultiStepLR": dict(milestones=[1, 3], gamma=0.1),
            "ExponentialLR": dict(gamma=0.7)}[scheduler]
    runs = []
    for cls in (optim.Adam, torch.optim.Adam):
        params = _params([50])
        opt = cls(params, lr=0.1)
        sched = getattr(torch.optim.lr_scheduler, scheduler)(opt, **args)
        gen = torch.Generator().manual_seed(2)
        for _ in range(5):
            params[0].grad = torch.randn(50, generator=gen)
            opt.step()
            sched.step()
        runs.append((params[0].detach(), opt.param_groups[0]["lr"]))
    torch.testing.assert_close(runs[0][0], runs[1][0], rtol=2e-6, atol=2e-7)
    assert runs[0][1] == runs[1][1] and runs[0][1] < 0.1


def test_lr_as_a_tensor_and_closure():
    params = _params([20])
    opt = optim.SGD(params, lr=torch.tensor(0.5))
    params[0].grad = torch.ones(20)
    before = params[0].detach().clone()
    loss = opt.step(closure=lambda: torch.tensor(3.0))
    assert float(loss) == 3.0
    torch.testing.assert_close(params[0].detach(), before - 0.5)


def test_fallbacks_to_torchs_step_and_clear_errors():
    # channels_last weights (not C-contiguous) and float16: torch's step, same results as torch
    w = torch.randn(4, 3, 2, 2).to(memory_format=torch.channels_last).requires_grad_()
    w2 = w.detach().clone().to(memory_format=torch.channels_last).requires_grad_()
    for p, cls in ((w, optim.Adam), (w2, torch.optim.Adam)):
        o = cls([p], lr=0.1)
        p.grad = torch.ones_like(p)
        o.step()
    torch.testing.assert_close(w, w2)
    h = torch.randn(5, dtype=torch.float16, requires_grad=True)
    o = optim.SGD([h], lr=0.1)
    h.grad = torch.ones_like(h)
    o.step()
    # sparse gradients, complex params, mixed devices in one group
    s = torch.randn(5, requires_grad=True)
    s.grad = torch.randn(5).to_sparse()
    with pytest.raises(RuntimeError, match="sparse"):
        optim.SGD([s], lr=0.1).step()
    c = torch.randn(3, dtype=torch.complex64, requires_grad=True)
    c.grad = torch.ones_like(c)
    with pytest.raises(TypeError, match="complex"):
        optim.Adam([c]).step()
    m = torch.randn(3, device="meta", requires_grad=True)
    m.grad = torch.ones(3, device="meta")
    cpu = torch.randn(3, requires_grad=True)
    cpu.grad = torch.ones(3)
    with pytest.raises(ValueError, match="different devices"):
        optim.Adam([cpu, m]).step()


def test_numpy_array_api_without_torch_objects():
    rng = np.random.default_rng(0)
    p = [rng.standard_normal(n).astype(np.float32) for n in (3, 40)]
    g = [rng.standard_normal(n).astype(np.float32) for n in (3, 40)]
    m, v = [np.zeros_like(a) for a in p], [np.zeros_like(a) for a in p]
    tp = [torch.from_numpy(a.copy()).requires_grad_() for a in p]
    ref = torch.optim.Adam(tp, lr=1e-2, foreach=False)
    for t in range(1, 4):
        ops.adam_step(p, g, m, v, [t, t], lr=1e-2)
        for a, b in zip(tp, g):
            a.grad = torch.from_numpy(b)
        ref.step()
    for a, b in zip(p, tp):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=2e-6, atol=2e-7)
    buf = [np.zeros_like(a) for a in p]
    ops.sgd_step(p, g, buf, lr=0.1, momentum=0.9, first=[True, True])
    np.testing.assert_array_equal(buf[0], g[0])
    with pytest.raises(ValueError, match="read-only"):
        ro = p[0].copy()
        ro.flags.writeable = False
        ops.sgd_step([ro], [g[0]], lr=0.1)
    with pytest.raises(ValueError, match="contiguous"):
        ops.sgd_step([p[1][::2]], [g[1][::2]], lr=0.1)
    with pytest.raises(ValueError):
        ops.adam_step(p, g[:1], m, v, [1, 1])
    with pytest.raises(ValueError, match="step counts start at 1"):
        ops.adam_step(p, g, m, v, [0, 0])
    with pytest.raises(ValueError, match="Nesterov"):
        ops.sgd_step(p, g, buf, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta"):
        ops.adam_step(p, g, m, v, [1, 1], betas=(1.0, 0.9))


def test_no_temporary_allocation_proportional_to_the_parameters():
    params = _params([1 << 18, 1 << 18, 1000])  # 2 MiB of float32 parameters
    for p in params:
        p.grad = torch.randn_like(p)
    for cls, kw in ((optim.Adam, dict(amsgrad=True)), (optim.SGD, dict(lr=0.1, momentum=0.9)),
                    (optim.RMSprop, dict(centered=True, momentum=0.5)), (optim.Adagrad, {})):
        opt = cls(params, **kw)
        opt.step()  # the state is allocated on the first step (as torch does)
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
            opt.step()
        allocated = sum(max(e.cpu_memory_usage, 0) for e in prof.events())
        assert allocated < 64 << 10, f"{cls.__name__}: {allocated} bytes allocated during a step"


def test_thread_count_does_not_change_the_result():
    results = []
    for threads in (1, 2):
        fastnn.set_num_threads(threads)
        try:
            opt = _run(optim.Adam, _params([(1 << 17) + 3, 77]), dict(lr=1e-2, weight_decay=0.1))
            results.append([p.detach().clone() for p in opt.param_groups[0]["params"]])
        finally:
            fastnn.set_num_threads(fastnn.cpu_info()["cpus"] if "cpus" in fastnn.cpu_info() else 2)
    for a, b in zip(*results):
        assert torch.equal(a, b)
