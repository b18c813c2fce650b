"""Batch normalization and layer normalization against torch: ops (every kernel variant), functional with
autograd, the modules (train/eval, momentum=None, affine off, track_running_stats off), state_dicts,
float64 gradcheck, thread-count invariance."""
import numpy as np
import pytest
import torch

import fastnn
import fastnn.functional as F
import fastnn.nn as fnn
import fastnn.ops as ops
from helpers import USABLE

FAMILIES = ["norm_f32"]  # claimed for tests/test_registry.py: every variant runs against torch below
NORM_KERNELS = [k["name"] for k in fastnn.list_kernels() if k["family"] == "norm_f32"]
# (N, C, *): planar runs of several lengths (tails of every vector width), and rows of C (BatchNorm1d)
BN_SHAPES = [(64, 32, 28, 28), (5, 7), (64, 100), (3, 4, 9), (2, 3, 1, 1), (4, 17, 5, 7), (1, 5, 33), (7, 40, 3)]
LN_CASES = [((32, 64, 256), (256,)), ((7, 5, 3), (5, 3)), ((4, 13), (13,)), ((2, 3, 4, 33), (4, 33)), ((9, 1), (1,))]


def _close(a, b, tol=1e-4):
    torch.testing.assert_close(a, b, rtol=tol, atol=tol)


def _same_as_torch(ours, grads, torch_fn, x, w, b, g):
    """ours (output) and grads ((dx, dw, db) for upstream g) against torch_fn(x, w, b) on copies that
    require grad: the output within 1e-4, the input gradient within 1e-4, weight and bias within 1e-3."""
    xr, wr, br = (t.clone().requires_grad_() for t in (x, w, b))
    yr = torch_fn(xr, wr, br)
    _close(ours, yr)
    yr.backward(g)
    _close(grads[0], xr.grad)
    _close(grads[1], wr.grad, 1e-3)
    _close(grads[2], br.grad, 1e-3)


@pytest.mark.parametrize("kernel", NORM_KERNELS)
@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_norm_ops_match_torch(kernel, shape):
    if kernel not in USABLE:
        pytest.skip(f"{kernel} needs an ISA level this CPU lacks")
    torch.manual_seed(0)
    x = torch.randn(*shape) * 3 + 5  # an offset mean: the statistics must not cancel
    c = shape[1]
    w, b = torch.randn(c), torch.randn(c)
    rm, rv = torch.randn(c), torch.rand(c) + 0.5
    rm_t, rv_t = rm.clone(), rv.clone()
    y, sm, si = ops.batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5, kernel=kernel)
    g = torch.randn(*shape)
    _same_as_torch(y, ops.batch_norm_backward(g, x, w, sm, si, True, kernel=kernel),
                   lambda x, w, b: torch.nn.functional.batch_norm(x, rm_t, rv_t, w, b, True, 0.1, 1e-5), x, w, b, g)
    _close(rm, rm_t, 1e-5)
    _close(rv, rv_t, 1e-5)
    # eval: the running statistics
    ye, sme, sie = ops.batch_norm(x, rm, rv, w, b, False, kernel=kernel)
    _close(ye, torch.nn.functional.batch_norm(x, rm, rv, w, b, False))
    xr = x.clone().requires_grad_()
    torch.nn.functional.batch_norm(xr, rm, rv, w, b, False).backward(g)
    gx, _, _ = ops.batch_norm_backward(g, x, w, sme, sie, False, kernel=kernel)
    _close(gx, xr.grad)


@pytest.mark.parametrize("kernel", NORM_KERNELS)
@pytest.mark.parametrize("shape,normalized", LN_CASES)
def test_layer_norm_ops_match_torch(kernel, shape, normalized):
    if kernel not in USABLE:
        pytest.skip(f"{kernel} needs an ISA level this CPU lacks")
    torch.manual_seed(1)
    x = torch.randn(*shape) * 2 - 3
    w, b = torch.randn(normalized), torch.randn(normalized)
    y, mean, rstd = ops.layer_norm(x, normalized, w, b, 1e-5, kernel=kernel)
    g = torch.randn(*shape)
    _same_as_torch(y, ops.layer_norm_backward(g, x, normalized, mean, rstd, w, kernel=kernel),
                   lambda x, w, b: torch.nn.functional.layer_norm(x, normalized, w, b, 1e-5), x, w, b, g)
    y0, m0, r0 = ops.layer_norm(x, normalized, None, None, kernel=kernel)  # no affine
    _close(y0, torch.nn.functional.layer_norm(x, normalized))


def test_numpy_arrays_work_without_torch_semantics_changing():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3, 5)).astype(np.float32)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    y, sm, si = ops.batch_norm(x, rm, rv, None, None, True, 0.5)
    assert isinstance(y, np.ndarray)
    want = (x - x.mean((0, 2), keepdims=True)) / np.sqrt(x.var((0, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rm, 0.5 * x.mean((0, 2)), rtol=1e-5, atol=1e-6)  # updated in place
    y, m, r = ops.layer_norm(x, (5,))
    np.testing.assert_allclose(m, x.mean(-1), rtol=1e-5, atol=1e-6)


def _modules(cls, *args, **kwargs):
    torch.manual_seed(2)
    ours = getattr(fnn, cls)(*args, **kwargs)
    theirs = getattr(torch.nn, cls)(*args, **kwargs)
    with torch.no_grad():
        for p in ours.parameters():
            p.uniform_(-1, 2)
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs


BN_MODULE_CASES = [
    ("BatchNorm2d", (6,), {}, (4, 6, 7, 5)),
    ("BatchNorm2d", (6,), {"momentum": None}, (4, 6, 7, 5)),
    ("BatchNorm2d", (6,), {"affine": False}, (4, 6, 7, 5)),
    ("BatchNorm2d", (6,), {"track_running_stats": False}, (4, 6, 7, 5)),
    ("BatchNorm1d", (10,), {}, (16, 10)),
    ("BatchNorm1d", (10,), {"momentum": 0.3, "eps": 1e-3}, (16, 10, 9)),
    ("BatchNorm1d", (10,), {"momentum": None, "affine": False}, (16, 10)),
]


@pytest.mark.parametrize("cls,args,kwargs,shape", BN_MODULE_CASES)
def test_batch_norm_modules_train_eval_like_torch(cls, args, kwargs, shape):
    ours, theirs = _modules(cls, *args, **kwargs)
    torch.manual_seed(3)
    for step, mode in enumerate(["train", "train", "eval", "train", "eval"]):
        ours.train(mode == "train")
        theirs.train(mode == "train")
        x = torch.randn(*shape) * (step + 1) + step
        xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
        ya, yb = ours(xa), theirs(xb)
        _close(ya, yb)
        g = torch.randn(*shape)
        ya.backward(g)
        yb.backward(g)
        _close(xa.grad, xb.grad)
        for (na, a), (nb, b) in zip(ours.named_buffers(), theirs.named_buffers()):
            assert na == nb
            _close(a.float(), b.float(), 1e-5)
        for (na, a), (nb, b) in zip(ours.named_parameters(), theirs.named_parameters()):
            _close(a.grad, b.grad, 1e-3)
            a.grad = b.grad = None


@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-2}])
def test_layer_norm_module_like_torch(kwargs):
    ours, theirs = _modules("LayerNorm", (5, 6), **kwargs)
    x = torch.randn(3, 4, 5, 6)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = ours(xa), theirs(xb)
    _close(ya, yb)
    g = torch.randn_like(x)
    ya.backward(g)
    yb.backward(g)
    _close(xa.grad, xb.grad)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        _close(a.grad, b.grad, 1e-3)


@pytest.mark.parametrize("cls,args", [("BatchNorm1d", (7,)), ("BatchNorm2d", (7,)), ("LayerNorm", ((7,),))])
def test_state_dicts_round_trip_with_torch(cls, args):
    ours, theirs = _modules(cls, *args)
    x = torch.randn(8, 7, 3, 7) if cls == "BatchNorm2d" else torch.randn(8, 7)
    ours(x), theirs(x)  # running statistics and num_batches_tracked move
    sd = ours.state_dict()
    assert list(sd) == list(theirs.state_dict())
    fresh = getattr(torch.nn, cls)(*args)
    fresh.load_state_dict(sd)
    back = getattr(fnn, cls)(*args)
    back.load_state_dict(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        torch.testing.assert_close(back.state_dict()[k], v)
        torch.testing.assert_close(fresh.state_dict()[k], sd[k])


def test_float64_gradcheck():
    torch.manual_seed(4)
    x = torch.randn(5, 3, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
    rm, rv = torch.randn(3, dtype=torch.float64), torch.rand(3, dtype=torch.float64) + 0.5
    assert torch.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), (x, w, b))
    lw = torch.randn(4, dtype=torch.float64, requires_grad=True)
    lb = torch.randn(4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), (x, lw, lb))


def test_results_do_not_depend_on_the_thread_count():
    torch.manual_seed(5)
    x, g = torch.randn(16, 32, 14, 14), torch.randn(16, 32, 14, 14)
    lx, lg = torch.randn(64, 300), torch.randn(64, 300)
    lw = torch.randn(300)
    before = fastnn.get_num_threads()
    outs = []
    try:
        for threads in (1, 2, 3):
            fastnn.set_num_threads(threads)
            y, sm, si = ops.batch_norm(x, None, None, None, None, True)
            grads = ops.batch_norm_backward(g, x, None, sm, si, True)
            ly, m, r = ops.layer_norm(lx, 300, lw)
            lgr = ops.layer_norm_backward(lg, lx, 300, m, r, lw)
            outs.append([y, *[t for t in grads if t is not None], ly, *lgr])
    finally:
        fastnn.set_num_threads(before)
    for other in outs[1:]:
        for a, b in zip(outs[0], other):
            assert torch.equal(a, b)


def test_errors_like_torch():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(torch.randn(1, 4), None, None, training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        fnn.BatchNorm1d(4)(torch.randn(1, 4))
    with pytest.raises(RuntimeError):
        F.layer_norm(torch.randn(3, 4), (5,))
    with pytest.raises(ValueError):
        fnn.BatchNorm2d(3)(torch.randn(3, 4, 5))  # torch's dimension check
    with pytest.raises(RuntimeError, match="running_mean"):
        ops.batch_norm(torch.randn(4, 3), None, None, training=False)
