"""Pointwise losses (mse, l1, smooth_l1, huber, binary_cross_entropy, with logits) against torch: every
loss_f32 variant over every reduction, weights and pos_weight, NaN/inf and edge values, every tail length,
the autograd layer (gradcheck, double backward, fallbacks) and the modules as drop-ins."""
import numpy as np
import pytest
import torch

import fastnn
import fastnn.functional as F
import fastnn.nn as nn
from fastnn import ops
from helpers import skip_unless_usable

TF = torch.nn.functional
FAMILIES = ("loss_f32",)  # see test_registry.py
KERNELS = [k["name"] for k in fastnn.list_kernels() if k["family"] in FAMILIES]
REDUCTIONS = ("none", "mean", "sum")


def _data(n, gen):
    x, y = torch.randn(n, generator=gen) * 2, torch.randn(n, generator=gen) * 2
    p = torch.rand(n, generator=gen) * 0.98 + 0.01
    t = torch.rand(n, generator=gen)
    w, pw = torch.rand(n, generator=gen) + 0.2, torch.rand(n, generator=gen) * 3
    return x, y, p, t, w, pw


# name: (ops forward, ops backward, torch function), each taking (data..., reduction)
LOSSES = {
    "mse": (lambda d, r, k: ops.mse_loss(d[0], d[1], r, kernel=k),
            lambda g, d, r, k: ops.mse_loss_backward(g, d[0], d[1], r, kernel=k),
            lambda d, r: TF.mse_loss(d[0], d[1], reduction=r)),
    "l1": (lambda d, r, k: ops.l1_loss(d[0], d[1], r, kernel=k),
           lambda g, d, r, k: ops.l1_loss_backward(g, d[0], d[1], r, kernel=k),
           lambda d, r: TF.l1_loss(d[0], d[1], reduction=r)),
    "smooth_l1": (lambda d, r, k: ops.smooth_l1_loss(d[0], d[1], r, 0.6, kernel=k),
                  lambda g, d, r, k: ops.smooth_l1_loss_backward(g, d[0], d[1], r, 0.6, kernel=k),
                  lambda d, r: TF.smooth_l1_loss(d[0], d[1], reduction=r, beta=0.6)),
    "huber": (lambda d, r, k: ops.huber_loss(d[0], d[1], r, 0.6, kernel=k),
              lambda g, d, r, k: ops.huber_loss_backward(g, d[0], d[1], r, 0.6, kernel=k),
              lambda d, r: TF.huber_loss(d[0], d[1], reduction=r, delta=0.6)),
    "bce": (lambda d, r, k: ops.binary_cross_entropy(d[2], d[3], d[4], r, kernel=k),
            lambda g, d, r, k: ops.binary_cross_entropy_backward(g, d[2], d[3], d[4], r, kernel=k),
            lambda d, r: TF.binary_cross_entropy(d[2], d[3], d[4], reduction=r)),
    "bce_logits": (lambda d, r, k: ops.binary_cross_entropy_with_logits(d[0], d[3], d[4], r, d[5], kernel=k),
                   lambda g, d, r, k: ops.binary_cross_entropy_with_logits_backward(g, d[0], d[3], d[4], r, d[5], kernel=k),
                   lambda d, r: TF.binary_cross_entropy_with_logits(d[0], d[3], d[4], reduction=r, pos_weight=d[5])),
}
INPUT = {"mse": 0, "l1": 0, "smooth_l1": 0, "huber": 0, "bce": 2, "bce_logits": 0}


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", LOSSES)
def test_every_loss_kernel_matches_torch(kernel, name):
    skip_unless_usable(kernel)
    fwd, bwd, ref = LOSSES[name]
    gen = torch.Generator().manual_seed(5)
    for n in list(range(1, 35)) + [1000, 40009]:
        d = _data(n, gen)
        d64 = [t.double() for t in d]
        for r in REDUCTIONS:
            got = fwd(d, r, kernel)
            xr = d64[INPUT[name]].clone().requires_grad_()
            dd = list(d64)
            dd[INPUT[name]] = xr
            want = ref(dd, r)
            g = torch.rand(want.shape, dtype=torch.float64, generator=gen) + 0.5
            want.backward(g)
            scale = want.abs().max().item() + 1
            torch.testing.assert_close(got.double(), want.detach(), rtol=2e-6, atol=1e-6 * scale * (1 + (r == "sum") * n ** 0.5),
                                       msg=f"{name} n={n} {r}")
            grad = bwd(g.float(), d, r, kernel)
            torch.testing.assert_close(grad.double(), xr.grad, rtol=1e-5, atol=1e-6 * (xr.grad.abs().max().item() + 1e-3),
                                       msg=f"{name} grad n={n} {r}")


@pytest.mark.parametrize("kernel", KERNELS)
def test_edge_values_give_torchs_results(kernel):
    skip_unless_usable(kernel)
    nan, inf = float("nan"), float("inf")
    x = torch.tensor([0.0, nan, inf, -inf, 1e30, -1e30, 0.6, -0.6, 1e-30, 50.0, -50.0, 100.0])
    y = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0])
    for fwd_ours, fwd_torch in ((lambda a, b: ops.mse_loss(a, b, "none", kernel=kernel), lambda a, b: TF.mse_loss(a, b, reduction="none")),
                                (lambda a, b: ops.l1_loss(a, b, "none", kernel=kernel), lambda a, b: TF.l1_loss(a, b, reduction="none")),
                                (lambda a, b: ops.huber_loss(a, b, "none", 0.6, kernel=kernel),
                                 lambda a, b: TF.huber_loss(a, b, reduction="none", delta=0.6)),
                                (lambda a, b: ops.binary_cross_entropy_with_logits(a, b, None, "none", kernel=kernel),
                                 lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction="none"))):
        torch.testing.assert_close(fwd_ours(x, y), fwd_torch(x, y), equal_nan=True, rtol=2e-6, atol=1e-6)
    p = torch.tensor([0.0, 1.0, 1e-30, 1 - 6e-8, 0.5, 0.0, 1.0, 1e-40])  # log clamped at -100, as torch
    t = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.5, 0.0, 1.0, 1.0])
    with pytest.raises(RuntimeError, match="between 0 and 1"):  # NaN is no probability, for torch either
        ops.binary_cross_entropy(torch.tensor([nan]), torch.tensor([1.0]), kernel=kernel)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        TF.binary_cross_entropy(torch.tensor([nan]), torch.tensor([1.0]))
    torch.testing.assert_close(ops.binary_cross_entropy(p, t, None, "none", kernel=kernel),
                               TF.binary_cross_entropy(p, t, reduction="none"), equal_nan=True, rtol=2e-6, atol=1e-5)
    torch.testing.assert_close(ops.binary_cross_entropy_backward(torch.ones(8), p, t, None, "none", kernel=kernel),
                               torch.ops.aten.binary_cross_entropy_backward(torch.ones(8), p, t, None, 0),
                               equal_nan=True, rtol=1e-5, atol=1e-5)


def test_bad_inputs_raise_like_torch():
    x = torch.randn(4)
    with pytest.raises(ValueError, match="same as input size"):
        ops.mse_loss(x, torch.randn(5))
    with pytest.raises(ValueError, match="reduction"):
        ops.l1_loss(x, x, "avg")
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        ops.binary_cross_entropy(x * 5, torch.rand(4))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        TF.binary_cross_entropy(x * 5, torch.rand(4))
    with pytest.raises(RuntimeError, match="negative"):
        ops.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="broadcast"):
        ops.binary_cross_entropy_with_logits(torch.randn(3, 4), torch.rand(3, 4), torch.ones(3))
    with pytest.raises(ValueError, match="float64"):
        ops.mse_loss(x.double(), x.double(), kernel=KERNELS[-1])
    assert torch.isnan(ops.mse_loss(torch.zeros(0), torch.zeros(0)))  # the mean of nothing, as torch
    assert torch.isnan(TF.mse_loss(torch.zeros(0), torch.zeros(0)))


def test_broadcast_weights_numpy_and_float64():
    rng = np.random.default_rng(2)
    x, t = rng.standard_normal((5, 3)), rng.random((5, 3))
    w, pw = rng.random(3) + 0.1, rng.random(3) * 2
    got = ops.binary_cross_entropy_with_logits(x, t, w, "mean", pw)
    want = TF.binary_cross_entropy_with_logits(*map(torch.from_numpy, (x, t, w)), pos_weight=torch.from_numpy(pw))
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-13)
    np.testing.assert_allclose(ops.smooth_l1_loss(x, t, "sum", 0.0), TF.l1_loss(torch.from_numpy(x), torch.from_numpy(t),
                                                                                 reduction="sum").numpy(), rtol=1e-13)


FUNCTIONAL = [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}), ("huber_loss", {"delta": 0.5}),
              ("binary_cross_entropy_with_logits", {"pos_weight": torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64)})]


@pytest.mark.parametrize("name,kw", FUNCTIONAL)
def test_functional_gradcheck_double_backward_and_routes(name, kw):
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    y = torch.rand(3, 4, dtype=torch.float64)
    ours, theirs = getattr(F, name), getattr(TF, name)
    for r in REDUCTIONS:
        torch.testing.assert_close(ours(x, y, reduction=r, **kw), theirs(x, y, reduction=r, **kw))
        assert torch.autograd.gradcheck(lambda a: ours(a, y, reduction=r, **kw), (x,))
    assert torch.autograd.gradgradcheck(lambda a: ours(a, y, **kw), (x,))
    # a target that needs a gradient: torch's function, gradients for both
    yr = y.clone().requires_grad_()
    ga = torch.autograd.grad(ours(x, yr, **kw), (x, yr))
    gb = torch.autograd.grad(theirs(x, yr, **kw), (x, yr))
    torch.testing.assert_close(ga, gb)


def test_bce_functional_and_legacy_arguments():
    p = torch.rand(6, 2, dtype=torch.float64, requires_grad=True)
    t = torch.rand(6, 2, dtype=torch.float64)
    w = torch.rand(2, dtype=torch.float64)
    torch.testing.assert_close(F.binary_cross_entropy(p, t, w), TF.binary_cross_entropy(p, t, w))
    assert torch.autograd.gradcheck(lambda a: F.binary_cross_entropy(a.clamp(0.05, 0.95), t, w), (p,))
    with pytest.warns(UserWarning, match="size_average"):
        legacy = F.mse_loss(p, t, size_average=False)
    torch.testing.assert_close(legacy, TF.mse_loss(p, t, reduction="sum"))
    with pytest.raises(ValueError, match="different to the input size"):
        F.binary_cross_entropy(p, t[:, :1])


MODULES = [("MSELoss", {}), ("L1Loss", {"reduction": "sum"}), ("SmoothL1Loss", {"beta": 0.3}), ("HuberLoss", {"delta": 2.0}),
           ("BCEWithLogitsLoss", {"pos_weight": torch.tensor([2.0, 0.5, 1.0])})]


@pytest.mark.parametrize("name,kw", MODULES)
def test_modules_are_drop_ins(name, kw):
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert isinstance(ours, getattr(torch.nn, name)) and repr(ours) == repr(theirs)
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    x = torch.randn(5, 3, requires_grad=True)
    y = torch.rand(5, 3)
    a, b = ours(x, y), theirs(x, y)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(torch.autograd.grad(a, x), torch.autograd.grad(b, x))
    bce_ours, bce_theirs = nn.BCELoss(), torch.nn.BCELoss()
    p = torch.sigmoid(x)
    torch.testing.assert_close(bce_ours(p, y), bce_theirs(p, y))
