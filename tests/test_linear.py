"""fastnn.ops.matmul / linear / linear_backward, fastnn.functional.linear and fastnn.nn.Linear against
torch: values and gradients on numpy and torch, views, the seed MLP shapes, float64 gradcheck, the
custom-op route torch.compile takes, nn.Linear as a drop-in (init, state_dict, repr), and bad input."""
import numpy as np
import pytest
import torch

import fastnn
import fastnn.functional as F
import fastnn.nn as nn
from fastnn import ops
from helpers import compiled_graph_code, train_side_by_side


def tol(k, dtype=torch.float32):
    """Tolerance of a length-k dot product of O(1) normals (error ~ sqrt(k) u per term, bounded by k u)."""
    eps = torch.finfo(dtype).eps
    return dict(rtol=4 * eps * k ** 0.5 + 4 * eps, atol=4 * eps * k)


# ---------------------------------------------------------------- fastnn.ops

@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_numpy_every_transpose(ta, tb, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((33, 17) if ta else (17, 33)).astype(dtype)
    b = rng.standard_normal((21, 33) if tb else (33, 21)).astype(dtype)
    got = ops.matmul(a, b, trans_a=ta, trans_b=tb)
    want = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b)
    assert isinstance(got, np.ndarray) and got.dtype == dtype and got.shape == (17, 21)
    np.testing.assert_allclose(got, want, **tol(33, torch.float32 if dtype == np.float32 else torch.float64))


def test_matmul_alpha_beta_accumulates_into_out():
    a, b = torch.randn(6, 9), torch.randn(9, 5)
    out = torch.randn(6, 5)
    want = 0.5 * a @ b + 2.0 * out
    assert ops.matmul(a, b, out=out, alpha=0.5, beta=2.0) is out
    torch.testing.assert_close(out, want, **tol(9))
    with pytest.raises(ValueError, match="no 'out'"):
        ops.matmul(a, b, beta=1.0)


def test_matmul_torch_views_are_read_in_place():
    base = torch.randn(40, 50)
    for a, b in [(base.t()[:20, :30], base[:30, 5:25]), (base[::2, ::3][:10], base[:17, :9].t().t()),
                 (base[:1].expand(7, 50), base.t()[:, :3])]:
        torch.testing.assert_close(ops.matmul(a, b), a @ b, **tol(a.shape[1]))


def test_matmul_empty_and_k_zero():
    assert ops.matmul(np.zeros((0, 3), np.float32), np.zeros((3, 4), np.float32)).shape == (0, 4)
    out = ops.matmul(torch.zeros(3, 0), torch.zeros(0, 4))
    assert torch.equal(out, torch.zeros(3, 4))


@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5), (0, 5), (1, 1, 1, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_and_backward_match_torch(shape, bias):
    x = torch.randn(shape)
    w, b = torch.randn(7, 5), (torch.randn(7) if bias else None)
    y = ops.linear(x, w, b)
    torch.testing.assert_close(y, torch.nn.functional.linear(x, w, b), **tol(5))
    g = torch.randn(y.shape)
    gx, gw, gb = ops.linear_backward(g, x, w, bias_grad=bias)
    torch.testing.assert_close(gx, g @ w, **tol(7))
    torch.testing.assert_close(gw, g.reshape(-1, 7).t() @ x.reshape(-1, 5), **tol(max(x.numel() // 5, 1)))
    if bias:
        torch.testing.assert_close(gb, g.reshape(-1, 7).sum(0), **tol(max(x.numel() // 5, 1)))
    else:
        assert gb is None


def test_linear_relu_epilogue_and_numpy():
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in [(64, 100), (30, 100), (30,)])
    y = ops.linear(x, w, b, relu=True)
    np.testing.assert_allclose(y, np.maximum(x.astype(np.float64) @ w.T + b, 0), **tol(100))


def test_linear_backward_skips_what_is_not_asked_and_reads_stride0_grad():
    x, w = torch.randn(8, 5), torch.randn(3, 5)
    g = torch.ones(1, 1).expand(8, 3)  # the gradient of y.sum()
    gx, gw, gb = ops.linear_backward(g, x, w, input_grad=False)
    assert gx is None
    torch.testing.assert_close(gw, torch.ones(8, 3).t() @ x, **tol(8))
    torch.testing.assert_close(gb, torch.full((3,), 8.0))


@pytest.mark.parametrize("batch,inp,out", [(16, 3072, 1000), (64, 784, 64), (64, 3136, 128), (3, 1000, 500)])
def test_seed_mlp_shapes(batch, inp, out):
    x, w, b = torch.randn(batch, inp), torch.randn(out, inp) / inp ** 0.5, torch.randn(out)
    torch.testing.assert_close(ops.linear(x, w, b), torch.nn.functional.linear(x, w, b), **tol(inp))
    g = torch.randn(batch, out)
    gx, gw, gb = ops.linear_backward(g, x, w)
    torch.testing.assert_close(gx, g @ w, **tol(out))
    torch.testing.assert_close(gw, g.t() @ x, **tol(batch))
    torch.testing.assert_close(gb, g.sum(0), **tol(batch))


BAD = [
    (lambda: ops.matmul(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32)), RuntimeError,
     "cannot be multiplied"),
    (lambda: ops.matmul(np.ones((2, 3), np.float32), np.ones((3, 5), np.float64)), TypeError, "dtype"),
    (lambda: ops.matmul(np.ones((2, 3), np.int32), np.ones((3, 5), np.int32)), TypeError, "dtype int32"),
    (lambda: ops.matmul(np.ones(3, np.float32), np.ones((3, 5), np.float32)), ValueError, "2-dimensional"),
    (lambda: ops.matmul(np.ones((2, 3), np.float32), torch.ones(3, 5)), TypeError, "all numpy arrays"),
    (lambda: ops.linear(torch.ones(2, 3), torch.ones(3)), ValueError, "2-dimensional"),
    (lambda: ops.linear(torch.ones(2, 3), torch.ones(4, 5)), RuntimeError, "in_features=5"),
    (lambda: ops.linear(torch.ones(2, 3), torch.ones(4, 3), torch.ones(3)), RuntimeError, "'bias' must have shape"),
    (lambda: ops.linear(torch.ones(()), torch.ones(4, 3)), RuntimeError, "at least 1 dimension"),
    (lambda: ops.linear_backward(torch.ones(2, 5), torch.ones(2, 3), torch.ones(4, 3)), RuntimeError,
     "grad_output has shape"),
    (lambda: ops.matmul(np.ones((2, 3), np.float32), np.ones((3, 5), np.float32), out=np.ones((5, 2), np.float32)),
     RuntimeError, "'out' must have shape"),
]


@pytest.mark.parametrize("fn,exc,msg", BAD)
def test_bad_input_raises_clear_error(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()


def test_out_overlapping_an_operand_or_read_only_is_refused():
    a = np.ones((4, 4), np.float32)
    with pytest.raises(ValueError, match="overlaps"):
        ops.matmul(a, a, out=a)
    ro = np.zeros((4, 4), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        ops.matmul(a, a, out=ro)
    out = np.zeros((4, 4), np.float32)
    with pytest.raises(ValueError, match="'out' overlaps 'bias_m'"):
        fastnn._C.matmul(a, a, out, out[1], None, False, False, 1.0, 0.0, False, "")


# ---------------------------------------------------------------- fastnn.functional.linear

def test_functional_gradcheck_float64():
    x = torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(F.linear, (x, w, b))
    assert torch.autograd.gradgradcheck(F.linear, (x, w, b))
    assert torch.autograd.gradcheck(F.linear, (x, w))


def test_custom_op_route_gradcheck_and_opcheck():
    """The route torch.compile takes (torch.ops.fastnn.linear), run eagerly."""
    x = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    op = torch.ops.fastnn.linear
    assert torch.autograd.gradcheck(lambda x, w, b: op(x, w, b), (x, w, b))
    assert torch.autograd.gradcheck(lambda x, w: op(x, w, None), (x, w))
    torch.library.opcheck(op.default, (x, w, b))
    torch.library.opcheck(op.default, (x.detach(), w.detach(), None))
    y = torch.empty(2, 7, 5, device="meta")
    assert F.linear(y, torch.empty(3, 5, device="meta")).shape == (2, 7, 3)


def test_functional_noncontiguous_and_partial_requires_grad():
    x = torch.randn(10, 8).t().requires_grad_()  # (8, 10), transposed
    w = torch.randn(4, 10)
    y = F.linear(x, w)
    y.square().sum().backward()
    xr = x.detach().clone().requires_grad_()
    torch.nn.functional.linear(xr, w).square().sum().backward()
    torch.testing.assert_close(x.grad, xr.grad, **tol(10))
    with torch.no_grad():
        assert F.linear(x, w).grad_fn is None


def test_functional_strided_bias_and_weight_views():
    """A transposed weight (tied weights) and a strided bias: read in place or copied, never refused."""
    base = torch.randn(10, 8)
    x, w, b = torch.randn(5, 10), base.t(), torch.randn(16)[::2]
    torch.testing.assert_close(F.linear(x, w, b), torch.nn.functional.linear(x, w, b), **tol(10))


def test_functional_bad_input():
    with pytest.raises(TypeError, match="torch.Tensor"):
        F.linear(np.ones((2, 3)), torch.ones(4, 3))
    # shapes and dtypes the kernels do not take: torch's result (a 1-d weight is a dot product in torch)
    x, w = torch.randn(2, 3), torch.randn(3)
    torch.testing.assert_close(F.linear(x, w), torch.nn.functional.linear(x, w))
    with pytest.raises(RuntimeError):
        F.linear(torch.ones(2, 3), torch.ones(4, 5))


# ---------------------------------------------------------------- fastnn.nn.Linear

def test_linear_module_is_a_drop_in():
    for bias in (True, False):
        torch.manual_seed(3)
        ours = nn.Linear(20, 7, bias=bias)
        torch.manual_seed(3)
        theirs = torch.nn.Linear(20, 7, bias=bias)
        assert isinstance(ours, torch.nn.Linear) and repr(ours) == repr(theirs)
        assert ours.state_dict().keys() == theirs.state_dict().keys()
        for k, v in theirs.state_dict().items():
            assert torch.equal(ours.state_dict()[k], v), k  # same initialisation under the same seed
    m = nn.Linear(3, 2, dtype=torch.float64)
    assert m.weight.dtype == torch.float64 and m(torch.randn(4, 3, dtype=torch.float64)).dtype == torch.float64


def test_state_dict_round_trips_both_ways():
    ours, theirs = nn.Linear(6, 4), torch.nn.Linear(6, 4)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(5, 6)
    torch.testing.assert_close(ours(x), theirs(x), **tol(6))
    theirs2 = torch.nn.Linear(6, 4)
    theirs2.load_state_dict(ours.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(theirs2.parameters(), ours.parameters()))


def cifar_mlp(linear):
    torch.manual_seed(0)
    return torch.nn.Sequential(linear(3072, 1000), torch.nn.ReLU(), linear(1000, 500), torch.nn.ReLU(),
                               linear(500, 10))


def test_cifar_mlp_training_steps_match_torch():
    ours, theirs = cifar_mlp(nn.Linear), cifar_mlp(torch.nn.Linear)
    ours.load_state_dict(theirs.state_dict())
    # SGD, not Adam: Adam's g / sqrt(v) turns a rounding-level difference of a near-zero gradient into a
    # full lr-sized step, so it would compare rounding noise, not the layers.
    train_side_by_side(ours, theirs, lambda gen: (torch.randn(16, 3072, generator=gen),
                                                  torch.randint(0, 10, (16,), generator=gen)),
                       steps=3, lr=0.05, rtol=1e-4, atol=1e-5)


def test_compile_traces_linear_without_graph_breaks():
    model = torch.nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 4))
    code = compiled_graph_code(model, torch.randn(8, 20))
    assert "fastnn.linear" in code, code
