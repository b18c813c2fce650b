"""fastnn max/avg pooling (ops, functional, nn) against torch: a parameter sweep forward (values and
indices bit for bit) and backward, NaN and -inf windows, gradcheck, modules as drop-ins, and the
configurations torch rejects."""
import itertools

import numpy as np
import pytest
import torch

import fastnn
import fastnn.functional as F
import fastnn.nn as nn
from fastnn import ops
from helpers import skip_unless_usable

TF = torch.nn.functional
FAMILIES = ("max_pool2x2_backward_f32",)  # see test_registry.py
KERNELS = [k["name"] for k in fastnn.list_kernels() if k["family"] in FAMILIES]
MAX_SWEEP = [c for c in itertools.product([1, 2, 3], [1, 2, 3], [0, 1], [1, 2], [False, True])
             if c[2] * 2 <= (c[0] - 1) * c[3] + 1]
SIZES = [(7, 8), (5, 5), (12, 9), (2, 3)]


def special_input(h, w, seed):
    x = torch.randn(2, 3, h, w, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    x[0, 0, 0, 0] = float("nan")
    x[1, 2, min(1, h - 1), :] = 3.0        # ties: the first maximum wins
    x[0, 1] = -float("inf")                 # a plane of -inf
    return x


@pytest.mark.parametrize("k,s,p,d,ceil", MAX_SWEEP)
def test_max_pool_matches_torch(k, s, p, d, ceil):
    for h, w in SIZES:
        x = special_input(h, w, k * 100 + s * 10 + p)
        try:
            want, want_idx = TF.max_pool2d(x, k, s, p, d, ceil, True)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                ops.max_pool2d(x, k, s, p, d, ceil)
            continue
        got, idx = ops.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
        torch.testing.assert_close(got, want, rtol=0, atol=0, equal_nan=True)
        assert torch.equal(idx, want_idx)
        g = torch.randn(want.shape, dtype=torch.float64)
        xr = x.clone().requires_grad_()
        TF.max_pool2d(xr, k, s, p, d, ceil).backward(g)
        torch.testing.assert_close(ops.max_pool2d_backward(g, x, k, s, p, d, ceil), xr.grad, rtol=1e-14, atol=0)


AVG_SWEEP = [c for c in itertools.product([1, 2, 3], [1, 2, 3], [0, 1], [False, True], [True, False], [None, 3])
             if c[2] * 2 <= c[0]]


@pytest.mark.parametrize("k,s,p,ceil,cip,div", AVG_SWEEP)
def test_avg_pool_matches_torch(k, s, p, ceil, cip, div):
    for h, w in SIZES:
        x = torch.randn(2, 3, h, w, dtype=torch.float64)
        try:
            want = TF.avg_pool2d(x, k, s, p, ceil, cip, div)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                ops.avg_pool2d(x, k, s, p, ceil, cip, div)
            continue
        torch.testing.assert_close(ops.avg_pool2d(x, k, s, p, ceil, cip, div), want, rtol=1e-14, atol=1e-15)
        g = torch.randn(want.shape, dtype=torch.float64)
        xr = x.clone().requires_grad_()
        TF.avg_pool2d(xr, k, s, p, ceil, cip, div).backward(g)
        torch.testing.assert_close(ops.avg_pool2d_backward(g, x, k, s, p, ceil, cip, div), xr.grad,
                                   rtol=1e-14, atol=1e-15)


def test_seed_shapes_float32_numpy_and_unbatched():
    x = torch.randn(64, 32, 28, 28)
    torch.testing.assert_close(ops.max_pool2d(x, 2), TF.max_pool2d(x, 2), rtol=0, atol=0)
    torch.testing.assert_close(ops.avg_pool2d(x, 2), TF.avg_pool2d(x, 2), rtol=1e-6, atol=1e-6)
    xn = np.random.default_rng(0).standard_normal((3, 9, 9)).astype(np.float32)
    y, idx = ops.max_pool2d(xn, 3, 2, 1, return_indices=True)
    want, want_idx = TF.max_pool2d(torch.from_numpy(xn), 3, 2, 1, return_indices=True)
    assert isinstance(y, np.ndarray) and idx.dtype == np.int64
    np.testing.assert_array_equal(y, want.numpy())
    np.testing.assert_array_equal(idx, want_idx.numpy())
    xc = torch.randn(2, 4, 6, 6).to(memory_format=torch.channels_last)
    torch.testing.assert_close(ops.avg_pool2d(xc, 2), TF.avg_pool2d(xc, 2), rtol=1e-6, atol=1e-6)


BAD = [
    (lambda: ops.max_pool2d(torch.ones(1, 1, 4, 4), 2, 2, 2), RuntimeError, "half of effective kernel"),
    (lambda: ops.max_pool2d(torch.ones(1, 1, 2, 2), 3), RuntimeError, "too small"),
    (lambda: ops.max_pool2d(torch.ones(1, 1, 4, 4), 2, 0), RuntimeError, "stride"),
    (lambda: ops.max_pool2d(torch.ones(1, 1, 4, 4), 2, 2, -1), RuntimeError, "non-negative"),
    (lambda: ops.max_pool2d(torch.ones(4, 4), 2), RuntimeError, "3-d"),
    (lambda: ops.avg_pool2d(torch.ones(1, 1, 4, 4), 2, divisor_override=0), RuntimeError, "divisor"),
    (lambda: ops.avg_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.int32), 2), TypeError, "dtype"),
    (lambda: ops.max_pool2d_backward(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 4, 4), 2), RuntimeError, "shape"),
]


@pytest.mark.parametrize("fn,exc,msg", BAD)
def test_invalid_configurations_raise_like_torch(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()
    torch_kinds = {0: lambda: TF.max_pool2d(torch.ones(1, 1, 4, 4), 2, 2, 2),
                   1: lambda: TF.max_pool2d(torch.ones(1, 1, 2, 2), 3),
                   5: lambda: TF.avg_pool2d(torch.ones(1, 1, 4, 4), 2, divisor_override=0)}
    for i, f in torch_kinds.items():
        if BAD[i][0] is fn:
            with pytest.raises(exc):
                f()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("k,s,p,ceil,cip,div", [(2, 2, 0, False, True, -2), (2, 2, 0, False, True, -1),
                                                (3, 2, 1, True, False, -5), (3, 1, 1, False, True, -7)])
def test_negative_divisor_override_divides_as_torch(dtype, k, s, p, ceil, cip, div):
    """torch rejects only divisor_override=0: a negative divisor divides each window's sum (the 2x2 stride-2
    cases take the fast kernels, the others the general ones)."""
    x = torch.randn(2, 3, 8, 6, dtype=dtype)
    g = torch.randn_like(TF.avg_pool2d(x, k, s, p, ceil, cip, div))
    xt = x.clone().requires_grad_()
    want = TF.avg_pool2d(xt, k, s, p, ceil, cip, div)
    want.backward(g)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ops.avg_pool2d(x, k, s, p, ceil, cip, div), want.detach(), **tol)
    torch.testing.assert_close(ops.avg_pool2d_backward(g, x, k, s, p, ceil, cip, div), xt.grad, **tol)
    xf = x.clone().requires_grad_()
    y = F.avg_pool2d(xf, k, s, p, ceil, cip, div)
    y.backward(g)
    torch.testing.assert_close(y.detach(), want.detach(), **tol)
    torch.testing.assert_close(xf.grad, xt.grad, **tol)
    m = nn.AvgPool2d(k, s, p, ceil, cip, divisor_override=div)
    torch.testing.assert_close(m(x), want.detach(), **tol)
    xn = x.numpy()
    np.testing.assert_allclose(ops.avg_pool2d(xn, k, s, p, ceil, cip, div), want.detach().numpy(),
                               rtol=tol["rtol"], atol=tol["atol"])


def test_gradcheck_and_gradgradcheck_float64():
    x = torch.randperm(2 * 3 * 7 * 6, dtype=torch.float64).reshape(2, 3, 7, 6).requires_grad_()  # no ties
    assert torch.autograd.gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True), (x,))
    assert torch.autograd.gradgradcheck(lambda t: F.max_pool2d(t, 2), (x,))
    assert torch.autograd.gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, True, False), (x,))
    assert torch.autograd.gradgradcheck(lambda t: F.avg_pool2d(t, 2, divisor_override=3), (x,))
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    assert not idx.requires_grad and torch.equal(idx, TF.max_pool2d(x, 2, return_indices=True)[1])


def test_custom_op_route_and_meta():
    x = torch.randperm(75, dtype=torch.float64).reshape(1, 3, 5, 5).requires_grad_()
    params = [2, 2, 2, 2, 0, 0, 1, 1, 1, 1, 0]
    assert torch.autograd.gradcheck(lambda t: torch.ops.fastnn.max_pool2d(t, params), (x,))
    assert torch.autograd.gradcheck(lambda t: torch.ops.fastnn.avg_pool2d(t, params), (x,))
    torch.library.opcheck(torch.ops.fastnn.max_pool2d.default, (x.detach(), params))
    torch.library.opcheck(torch.ops.fastnn.avg_pool2d.default, (x.detach(), params))
    y = F.max_pool2d(torch.empty(4, 3, 9, 9, device="meta"), 2, ceil_mode=True)
    assert y.device.type == "meta" and y.shape == (4, 3, 5, 5)


def test_modules_are_drop_ins():
    for ours, theirs in [(nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
                         (nn.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2, return_indices=True)),
                         (nn.AvgPool2d(3, 1, 1, count_include_pad=False), torch.nn.AvgPool2d(3, 1, 1, count_include_pad=False)),
                         (nn.AvgPool2d(2, divisor_override=3), torch.nn.AvgPool2d(2, divisor_override=3))]:
        assert isinstance(ours, type(theirs)) and repr(ours) == repr(theirs)
        assert ours.state_dict().keys() == theirs.state_dict().keys()
        x = torch.randn(2, 3, 9, 8, requires_grad=True)
        a, b = ours(x), theirs(x)
        if isinstance(a, tuple):
            assert torch.equal(a[1], b[1])
            a, b = a[0], b[0]
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)
        (ga,) = torch.autograd.grad(a.sum(), x)
        (gb,) = torch.autograd.grad(b.sum(), x)
        torch.testing.assert_close(ga, gb, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kernel", KERNELS)
def test_every_2x2_backward_kernel_matches_torch(kernel):
    """Row widths below, at and past a vector of windows (with the overlapping last step), odd input sizes
    (rows and columns no window covers), NaN, ties and -inf windows."""
    skip_unless_usable(kernel)
    for h, w in [(2, 2), (4, 14), (28, 28), (6, 16), (5, 17), (3, 35), (14, 14)]:
        x = torch.randn(2, 3, h, w)
        x[0, 0, 0, :3] = float("nan")
        x[0, 1, :2, :4] = 1.5
        x[1, 2] = -float("inf")
        g = torch.randn(2, 3, h // 2, w // 2)
        xr = x.clone().requires_grad_()
        TF.max_pool2d(xr, 2).backward(g)
        got = ops.max_pool2d_backward(g, x, 2, kernel=kernel)
        torch.testing.assert_close(got, xr.grad, rtol=0, atol=0)


def test_2x2_kernel_choice_is_refused_where_it_does_not_apply():
    with pytest.raises(ValueError, match="float32 2x2"):
        ops.max_pool2d_backward(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 6, 6), 2, 2, 0, 2, kernel=KERNELS[-1])
    with pytest.raises(ValueError, match="float32 2x2"):
        ops.max_pool2d_backward(torch.ones(1, 1, 3, 3, dtype=torch.float64), torch.ones(1, 1, 6, 6, dtype=torch.float64),
                                2, kernel=KERNELS[-1])
