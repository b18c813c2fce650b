"""The elementwise activations (leaky_relu, elu, sigmoid, tanh, gelu 'tanh', silu, hardtanh, softplus):
every activation_f32 variant against float64 (error in ulp, bounds from the measured worst case), torch's
NaN/inf results, backward against torch's autograd, in-place forms, the functional layer's routes and the
modules as drop-ins."""
import numpy as np
import pytest
import torch

import fastnn
import fastnn.functional as F
import fastnn.nn as nn
from fastnn import ops
from helpers import skip_unless_usable

TF = torch.nn.functional
FAMILIES = ("activation_f32",)  # see test_registry.py
KERNELS = [k["name"] for k in fastnn.list_kernels() if k["family"] in FAMILIES]

# name: (ops forward, ops backward, torch function, operand backward reads, worst error in ulp asserted)
# Measured worst errors over the sample below (AVX2 and AVX-512, this machine): leaky_relu 0.84, elu 2.06,
# sigmoid 2.26, tanh 1.85, silu 2.15, hardtanh 0, softplus 2.39 (beta 1; max(x, 0) + log1p(exp(-|x|))), 3.04
# with beta 1.5 (the division by beta) ulp. GELU 'tanh' inherits torch's own
# cancellation in 1 + tanh(.) for x << 0, so it is compared with torch's float32 result instead.
ACTS = {
    "leaky_relu": (lambda x, k: ops.leaky_relu(x, 0.02, kernel=k), lambda g, x, y, k: ops.leaky_relu_backward(g, x, 0.02, kernel=k),
                   lambda t: TF.leaky_relu(t, 0.02), 1.0),
    "elu": (lambda x, k: ops.elu(x, 1.3, kernel=k), lambda g, x, y, k: ops.elu_backward(g, x, 1.3, kernel=k),
            lambda t: TF.elu(t, 1.3), 3.0),
    "sigmoid": (lambda x, k: ops.sigmoid(x, kernel=k), lambda g, x, y, k: ops.sigmoid_backward(g, y, kernel=k),
                torch.sigmoid, 3.0),
    "tanh": (lambda x, k: ops.tanh(x, kernel=k), lambda g, x, y, k: ops.tanh_backward(g, y, kernel=k), torch.tanh, 3.0),
    "silu": (lambda x, k: ops.silu(x, kernel=k), lambda g, x, y, k: ops.silu_backward(g, x, kernel=k), TF.silu, 3.0),
    "hardtanh": (lambda x, k: ops.hardtanh(x, -0.5, 2.0, kernel=k),
                 lambda g, x, y, k: ops.hardtanh_backward(g, x, -0.5, 2.0, kernel=k), lambda t: TF.hardtanh(t, -0.5, 2.0), 0.0),
    "softplus": (lambda x, k: ops.softplus(x, 1.5, 15.0, kernel=k),
                 lambda g, x, y, k: ops.softplus_backward(g, x, 1.5, 15.0, kernel=k), lambda t: TF.softplus(t, 1.5, 15.0), 4.0),
    "softplus_b1": (lambda x, k: ops.softplus(x, kernel=k), lambda g, x, y, k: ops.softplus_backward(g, x, kernel=k),
                    TF.softplus, 3.0),
    "gelu": (lambda x, k: ops.gelu(x, kernel=k), lambda g, x, y, k: ops.gelu_backward(g, x, kernel=k),
             TF.gelu, None),
    "gelu_tanh": (lambda x, k: ops.gelu(x, "tanh", kernel=k), lambda g, x, y, k: ops.gelu_backward(g, x, "tanh", kernel=k),
                  lambda t: TF.gelu(t, approximate="tanh"), None),
}


def _sample():
    rng = np.random.default_rng(0)
    return np.concatenate([rng.uniform(-30, 30, 100_000), rng.uniform(-2, 2, 100_000), rng.uniform(-0.02, 0.02, 20_000),
                           np.linspace(-0.6, 0.6, 4001)]).astype(np.float32)


SPECIAL = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-40, 88.0, -88.0, 1e30, -1e30, 20.0,
                    -0.5, 2.0, 10.0, -10.0], np.float32)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", ACTS)
def test_forward_error_in_ulp_and_special_values(kernel, name):
    skip_unless_usable(kernel)
    fwd, _, ref, max_ulp = ACTS[name]
    x = _sample()
    y = fwd(x, kernel)
    want64 = ref(torch.from_numpy(x).double()).numpy()
    if name == "softplus":  # beta * x is rounded to float32 first (as in torch): the reference starts from it too
        bx = torch.from_numpy(x * np.float32(1.5)).double()
        want64 = torch.where(bx > 15.0, torch.from_numpy(x).double(), torch.log1p(torch.exp(bx)) / 1.5).numpy()
    if max_ulp is None:  # compare with torch's float32 evaluation of the same formula
        np.testing.assert_allclose(y, ref(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-6)
    else:
        keep = np.isfinite(want64) & (np.abs(want64) >= np.finfo(np.float32).tiny)
        spacing = np.spacing(np.abs(want64[keep]).astype(np.float32)).astype(np.float64)
        ulp = np.abs(y[keep] - want64[keep]) / spacing
        assert ulp.max() <= max_ulp, f"{name} {kernel}: {ulp.max():.2f} ulp"
    got = fwd(SPECIAL, kernel)
    want = ref(torch.from_numpy(SPECIAL)).numpy()
    if name == "gelu":  # torch's float32 CPU kernel gives NaN for +inf; fastnn gives the limit, +inf (as float64 torch)
        want[np.isposinf(SPECIAL)] = np.inf
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=3e-7, atol=1e-30)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("name", ACTS)
def test_backward_matches_torch_and_every_tail_length(kernel, name):
    skip_unless_usable(kernel)
    fwd, bwd, ref, _ = ACTS[name]
    gen = torch.Generator().manual_seed(3)
    for n in list(range(1, 41)) + [1000]:
        x = torch.randn(n, generator=gen) * 4
        g = torch.randn(n, generator=gen)
        x[n // 2] = 0.0  # the kinks
        y = fwd(x, kernel)
        xr = x.double().requires_grad_()
        ref(xr).backward(g.double())
        want = xr.grad
        if name in ("sigmoid", "tanh"):  # from the float32 output: 1 - y carries y's rounding, as in torch
            want = getattr(torch.ops.aten, name + "_backward")(g.double(), y.double())
        got = bwd(g, x, y, kernel)
        # GELU's derivative cancels in float32 for x << 0 (1 - tanh^2 with tanh near -1, torch's too): an
        # absolute bound there (torch's own float32 result is off by 6e-7 at x = -5.1)
        tol = dict(rtol=2e-6, atol=2e-7) if ACTS[name][3] is not None else dict(rtol=1e-5, atol=3e-6)
        torch.testing.assert_close(got.double(), want, **tol, msg=f"{name} n={n}")
    special = torch.from_numpy(SPECIAL)
    if name == "gelu":  # +inf: see the forward test (torch's float32 NaN)
        special = special[~torch.isinf(special)]
    xr = special.clone().requires_grad_()
    ref(xr).backward(torch.ones_like(special))
    got = bwd(torch.ones_like(special), special, fwd(special, kernel), kernel)
    torch.testing.assert_close(got, xr.grad, equal_nan=True, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in ACTS if n != "gelu_tanh"])
def test_float64_runs_the_reference_math(name):
    fwd, _, ref, _ = ACTS[name]
    x = torch.randn(257, dtype=torch.float64) * 3
    torch.testing.assert_close(fwd(x, None), ref(x), rtol=1e-14, atol=1e-15)


FUNCTIONAL = [("gelu", ()), ("leaky_relu", (0.1,)), ("elu", (0.7,)), ("sigmoid", ()), ("tanh", ()), ("silu", ()),
              ("hardtanh", (-0.3, 0.8)), ("softplus", (2.0, 5.0))]


@pytest.mark.parametrize("name,args", FUNCTIONAL)
def test_functional_autograd_gradcheck_and_double_backward(name, args):
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    ours, theirs = getattr(F, name), getattr(TF, name)
    torch.testing.assert_close(ours(x, *args), theirs(x, *args))
    assert torch.autograd.gradcheck(lambda a: ours(a, *args), (x,))
    assert torch.autograd.gradgradcheck(lambda a: ours(a, *args), (x,))
    x32 = torch.randn(64, 33, requires_grad=True)
    a, = torch.autograd.grad(ours(x32, *args).sum(), x32)
    b, = torch.autograd.grad(theirs(x32, *args).sum(), x32)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,args", [("leaky_relu", (0.1,)), ("elu", (0.7,)), ("hardtanh", (-0.3, 0.8))])
def test_in_place_forms_match_torch_with_autograd(name, args):
    base = torch.randn(4, 6)
    results = []
    for fn in (getattr(F, name), getattr(TF, name)):
        w = torch.ones(1, requires_grad=True)
        x = base * w  # a non-leaf that requires grad
        y = fn(x, *args, inplace=True)
        assert y is x
        y.pow(2).sum().backward()
        results.append((y.detach(), w.grad))
    torch.testing.assert_close(results[0], results[1])
    x = base.clone()
    assert getattr(F, name + "_")(x, *args) is x if hasattr(F, name + "_") else True


def test_routes_fall_back_to_torch_where_fastnn_has_no_kernel():
    x = torch.randn(5, 5)
    torch.testing.assert_close(F.gelu(x), TF.gelu(x))
    torch.testing.assert_close(F.gelu(x, approximate="tanh"), TF.gelu(x, approximate="tanh"))
    h = x.bfloat16()
    torch.testing.assert_close(F.sigmoid(h), torch.sigmoid(h))
    with pytest.raises(ValueError, match="approximate"):
        ops.gelu(x, "fast")
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(x, 1.0, -1.0)
    with pytest.raises(ValueError, match="no activation named"):
        fastnn._C.activation(x.numpy(), x.numpy().copy(), "swish", 0.0, 0.0)


MODULES = [("LeakyReLU", (0.05,)), ("ELU", (0.5,)), ("Sigmoid", ()), ("Tanh", ()), ("GELU", ("tanh",)), ("GELU", ()),
           ("SiLU", ()), ("Hardtanh", (-2.0, 2.0)), ("Softplus", (1.0, 10.0))]


@pytest.mark.parametrize("name,args", MODULES)
def test_modules_are_drop_ins(name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert isinstance(ours, getattr(torch.nn, name)) and repr(ours) == repr(theirs)
    x = torch.randn(8, 16, requires_grad=True)
    a = ours(x)
    ga, = torch.autograd.grad(a.sum(), x)
    b = theirs(x)
    gb, = torch.autograd.grad(b.sum(), x)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ga, gb, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kernel", KERNELS)
def test_outputs_larger_than_the_llc_stream_the_same_values(kernel):
    """Above the last-level cache the kernels store non-temporally; the values equal those of cache-sized
    chunks (ordinary stores), bit for bit, including a start that is not vector-aligned."""
    skip_unless_usable(kernel)
    n = fastnn.cpu_info()["llc_bytes"] // 4 + 1037
    x = torch.randn(n + 1)[1:]  # one float past the allocation's alignment
    big = ops.tanh(x, kernel=kernel)
    chunk = 1 << 20
    parts = torch.cat([ops.tanh(x[i:i + chunk].clone(), kernel=kernel) for i in range(0, n, chunk)])
    assert torch.equal(big, parts)
    g = torch.randn(n)
    assert torch.equal(ops.tanh_backward(g, big, kernel=kernel),
                       torch.cat([ops.tanh_backward(g[i:i + chunk], big[i:i + chunk].clone(), kernel=kernel)
                                  for i in range(0, n, chunk)]))
