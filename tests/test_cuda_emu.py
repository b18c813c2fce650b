"""The CUDA kernels, run on the CPU through the SIMT emulator (fastnn._C_cuda_emu), against torch.

Built with -Ccmake.define.FASTNN_CUDA_EMU=ON (README's test command and CI do). Each launch runs its
threads in a seeded, shuffled order; a failure message carries the seed (FASTNN_SIMT_SEED reproduces it).
"""
import numpy as np
import pytest
import torch

import fastnn
from helpers import EDGE_SIZES, mixed_values

from fastnn import _C_cuda_emu as emu  # an ImportError here: build it (see the module docstring)


def run_relu(backend, x, out):
    if backend == "cuda_emu":
        emu.relu(x, out, 0)
    else:
        fastnn.ops.relu(x, out=out)
    return out


def run_relu_backward(backend, dy, y, out):
    if backend == "cuda_emu":
        emu.relu_backward(dy, y, out, 0)
    else:
        fastnn.ops.relu_backward(dy, y, out=out)
    return out


@pytest.fixture(params=["cpu", "cuda_emu"])
def backend(request):
    return request.param


def test_module_is_the_emulator():
    assert emu.emulated is True


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0, 1, 2])  # offsets 1, 2 misalign the float4 path for float32
def test_relu_matches_torch(backend, dtype, offset):
    for n in EDGE_SIZES:
        buf_x = mixed_values(n + offset, dtype, seed=n)
        buf_y = np.full(n + offset + 3, 7.0, dtype=dtype)
        x, y = buf_x[offset:], buf_y[offset:offset + n]
        run_relu(backend, x, y)
        want = torch.relu(torch.from_numpy(x.copy())).numpy()
        assert y.tobytes() == want.tobytes(), f"n={n} offset={offset} seed={emu.last_seed()}"
        assert (buf_y[offset + n:] == 7.0).all(), f"wrote past the end: n={n}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_matches_torch(backend, dtype):
    for n in EDGE_SIZES:
        dy, y = mixed_values(n, dtype, seed=n), mixed_values(n, dtype, seed=n + 7)
        out = np.empty_like(dy)
        run_relu_backward(backend, dy, y, out)
        want = torch.ops.aten.threshold_backward(torch.from_numpy(dy), torch.from_numpy(y), 0.0).numpy()
        assert out.tobytes() == want.tobytes(), f"n={n} seed={emu.last_seed()}"


def test_in_place(backend):
    x = mixed_values(4099, np.float32)
    want = torch.relu(torch.from_numpy(x.copy())).numpy()
    run_relu(backend, x, x)
    assert x.tobytes() == want.tobytes()


def test_same_result_under_many_schedules():
    x = mixed_values(5000, np.float32, seed=3)
    want = torch.relu(torch.from_numpy(x.copy())).numpy().tobytes()
    for seed in range(5):
        emu.set_seed(seed)
        y = np.empty_like(x)
        emu.relu(x, y, 0)
        assert y.tobytes() == want and emu.last_seed() == seed


def test_bad_input_is_refused():
    x = np.ones(8, np.float32)
    with pytest.raises(ValueError, match="relu: 'out' is .*\\(4,\\).* but 'x' is"):
        emu.relu(x, np.ones(4, np.float32), 0)
    with pytest.raises(TypeError, match="'out' has dtype float64 but 'x' has float32"):
        emu.relu(x, np.ones(8, np.float64), 0)
    with pytest.raises(ValueError, match="must be C-contiguous"):
        emu.relu(np.ones(16, np.float32)[::2], x, 0)
    with pytest.raises(ValueError, match="partially overlaps"):
        buf = np.ones(10, np.float32)
        emu.relu(buf[:8], buf[2:], 0)
    ro = np.ones(8, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        emu.relu(x, ro, 0)
    with pytest.raises(ValueError, match="must be on the CPU"):  # the emulator's arrays live in host memory
        emu.relu((x.ctypes.data, "float32", (8,), (1,), "cuda", 0, False), x, 0)


# ---------------------------------------------------------------- GEMM (cuda/gemm.cu)

GEMM_SHAPES = [(1, 1, 1), (3, 5, 0), (7, 13, 9), (129, 130, 17), (64, 300, 8), (260, 3, 33)]


def gemm_operand(shape, trans, dtype, rng, misalign):
    """A (shape) operand, stored transposed when `trans`; `misalign` offsets it by one element."""
    stored = shape[::-1] if trans else shape
    buf = rng.standard_normal(int(np.prod(stored)) + 1).astype(dtype)
    x = buf[1:] if misalign else buf[:-1]
    x = x.reshape(stored)
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", [(False, False), (False, True), (True, False), (True, True)])
def test_gemm_matches_float64_reference(dtype, ta, tb):
    rng = np.random.default_rng(7)
    for idx, (m, n, k) in enumerate(GEMM_SHAPES):
        misalign = idx % 2 == 1  # the scalar-load path
        a = gemm_operand((m, k), ta, dtype, rng, misalign)
        b = gemm_operand((k, n), tb, dtype, rng, misalign)
        alpha, beta = (1.0, 0.0) if idx % 3 == 0 else (0.5, 2.0)
        out = rng.standard_normal((m, n + 3)).astype(dtype)[:, :n]  # rows padded: ldc != n
        c0 = out.astype(np.float64)
        bias_m = rng.standard_normal(m).astype(dtype) if idx % 2 else None
        bias_n = rng.standard_normal(n).astype(dtype) if idx % 3 != 1 else None
        relu = idx % 2 == 0
        emu.matmul(a, b, out, bias_m, bias_n, ta, tb, alpha, beta, relu, 0)
        A = (a.T if ta else a).astype(np.float64)
        B = (b.T if tb else b).astype(np.float64)
        want = alpha * (A @ B) + beta * c0
        if bias_m is not None:
            want += bias_m[:, None]
        if bias_n is not None:
            want += bias_n
        if relu:
            want = np.maximum(want, 0)
        u = np.finfo(dtype).eps
        bound = (k + 4) * u * (abs(alpha) * np.abs(A) @ np.abs(B) + abs(beta) * np.abs(c0) + 1)
        assert (np.abs(out - want) <= bound).all(), f"m={m} n={n} k={k} ta={ta} tb={tb} seed={emu.last_seed()}"


def test_gemm_agrees_with_the_cpu_path_through_fastnn_ops():
    """The same product through fastnn.ops (CPU GEMM) and the emulated CUDA kernel."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((70, 45)).astype(np.float32)
    w = rng.standard_normal((33, 45)).astype(np.float32)
    b = rng.standard_normal(33).astype(np.float32)
    out = np.empty((70, 33), np.float32)
    emu.matmul(x, w, out, None, b, False, True, 1.0, 0.0, False, 0)
    np.testing.assert_allclose(out, fastnn.ops.linear(x, w, b), rtol=1e-5, atol=1e-5)
    g = rng.standard_normal((70, 33)).astype(np.float32)
    gb = np.empty(33, np.float32)
    emu.sum_rows(g, gb, False, 0)
    np.testing.assert_allclose(gb, g.sum(0), rtol=1e-5, atol=1e-5)
    emu.sum_rows(g[:, ::-1], gb, True, 0)  # accumulate, negative column stride
    np.testing.assert_allclose(gb, g.sum(0) + g[:, ::-1].sum(0), rtol=1e-5, atol=1e-5)


def test_gemm_refuses_operands_without_a_unit_stride():
    a = np.ones((8, 8), np.float32)[::2, ::2]
    with pytest.raises(ValueError, match="unit stride"):
        emu.matmul(a, a, np.empty((4, 4), np.float32), None, None, False, False, 1.0, 0.0, False, 0)


# ---------------------------------------------------------------- pooling (cuda/pool.cu)

POOL_CASES = [  # (kernel, stride, padding, dilation, ceil_mode, count_include_pad, divisor_override, H, W)
    (2, 2, 0, 1, False, True, 0, 28, 28), (3, 2, 1, 1, True, False, 0, 7, 9), (3, 1, 1, 2, False, True, 0, 9, 8),
    (2, 3, 1, 1, True, True, 3, 5, 6), (1, 1, 0, 1, False, True, 0, 3, 4),
    (2, 2, 0, 1, False, True, -3, 8, 6), (3, 2, 1, 1, True, False, -2, 7, 9),  # any nonzero divisor, as torch
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pooling_matches_the_cpu_kernels(dtype, case):
    """The emulated CUDA pooling against fastnn's CPU pooling (itself tested against torch): max values and
    indices and gradients bit for bit (gradients only where windows do not overlap: atomics add in any
    order), averages to rounding."""
    k, s, p, d, ceil, cip, div, h, w = case
    rng = np.random.default_rng(k * 10 + s)
    x = rng.standard_normal((2, 3, h, w)).astype(dtype)
    x[0, 0, 0, 0] = np.nan
    x[1, 1, 1, :] = 2.0
    params = [k, k, s, s, p, p, d, d, int(ceil), int(cip), div]
    want, want_idx = fastnn.ops.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
    out, idx = np.empty_like(want), np.empty(want.shape, np.int64)
    emu.max_pool2d(x, out, idx.ctypes.data, params, 0)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(idx, want_idx)
    g = rng.standard_normal(want.shape).astype(dtype)
    gx = np.empty_like(x)
    emu.max_pool2d_backward(g, x, gx, params, 0)
    want_gx = fastnn.ops.max_pool2d_backward(g, x, k, s, p, d, ceil)
    np.testing.assert_allclose(gx, want_gx, rtol=0 if k <= s else 1e-6, atol=0 if k <= s else 1e-6)
    if d == 1:
        a = np.empty_like(want)
        xa = np.nan_to_num(x)
        emu.avg_pool2d(xa, a, params, 0)
        np.testing.assert_allclose(a, fastnn.ops.avg_pool2d(xa, k, s, p, ceil, cip, div or None), rtol=1e-6, atol=1e-6)
        ga = np.empty_like(x)
        emu.avg_pool2d_backward(g, ga, params, 0)
        np.testing.assert_allclose(ga, fastnn.ops.avg_pool2d_backward(g, xa, k, s, p, ceil, cip, div or None),
                                   rtol=1e-6, atol=1e-6)


def test_errors_name_the_public_op():
    """The CUDA bindings (emulated here) translate errors as fastnn._C does: "fastnn.ops.<public op>: ..."."""
    x = np.ones((1, 1, 4, 4), np.float32)
    with pytest.raises(RuntimeError, match=r"^fastnn\.ops\.avg_pool2d: 'out' has the wrong shape"):
        emu.avg_pool2d(x, np.empty((1, 1, 3, 3), np.float32), [2, 2, 2, 2, 0, 0, 1, 1, 0, 1, -3], 0)
    g, a, w = np.ones((2, 3), np.float32), np.ones((2, 4), np.float32), np.ones((3, 5), np.float32)
    with pytest.raises(RuntimeError, match=r"^fastnn\.ops\.linear_backward: input has 4 features but weight has "
                                           r"in_features=5"):
        emu.linear_backward(g, a, w, None, None, None, 0)
    with pytest.raises(RuntimeError, match=r"^fastnn\.ops\.linear_backward: 'grad_bias' must have shape \(3\)"):
        emu.linear_backward(g, a, np.ones((3, 4), np.float32), None, None, np.empty(4, np.float32), 0)
    with pytest.raises(ValueError, match=r"^fastnn\.ops\.elu_backward: 'out' is"):
        emu.activation_backward(np.ones(3), np.ones(3), np.ones(4), "elu_result", 1.0, 0.0, 0)
    with pytest.raises(RuntimeError, match=r"^fastnn\.ops\.huber_loss_backward: 'grad_output' must be"):
        emu.pointwise_loss_backward(np.ones(3), np.ones(3), None, None, np.ones(2), np.ones(3), "huber", 1.0, 0, 0)


def test_pooling_bad_input_is_refused():
    x = np.ones((1, 1, 4, 4), np.float32)
    with pytest.raises(RuntimeError, match="too small"):
        emu.max_pool2d(x, np.empty((1, 1, 1, 1), np.float32), 0, [5, 5, 1, 1, 0, 0, 1, 1, 0, 1, 0], 0)
    with pytest.raises(RuntimeError, match="wrong shape"):
        emu.avg_pool2d(x, np.empty((1, 1, 3, 3), np.float32), [2, 2, 2, 2, 0, 0, 1, 1, 0, 1, 0], 0)


# ---------------------------------------------------------------- conv2d (cuda/conv.cu)

CONV_CASES = [  # (N, C, H, W, O, KH, KW, stride, pad (t, b, l, r), dilation, groups)
    (2, 3, 7, 6, 4, 3, 3, 1, (1, 1, 1, 1), 1, 1), (1, 4, 9, 8, 6, 3, 2, 2, (0, 1, 2, 0), 2, 2),
    (2, 2, 5, 5, 2, 1, 1, 1, (0, 0, 0, 0), 1, 1), (3, 6, 8, 7, 6, 3, 3, 3, (2, 2, 1, 1), 1, 6),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_the_cpu_path(case):
    """The emulated CUDA convolution (im2col + CUDA GEMM + col2im gather + channel sums) against fastnn's
    CPU convolution (itself tested against torch), float64 so that only summation order differs."""
    n, c, h, w, o, kh, kw, s, (pt, pb, pl, pr), d, g = case
    rng = np.random.default_rng(n * 100 + c)
    x = rng.standard_normal((n, c, h, w))
    wt = rng.standard_normal((o, c // g, kh, kw))
    b = rng.standard_normal(o)
    params = [s, s, pt, pb, pl, pr, d, d, g]
    oh, ow = fastnn._C.conv2d_output_size(h, w, kh, kw, params)
    y, want = np.empty((n, o, oh, ow)), np.empty((n, o, oh, ow))
    emu.conv2d(x, wt, b, y, params, 0)
    fastnn._C.conv2d(x, wt, b, want, params, "")
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    gy = rng.standard_normal(y.shape)
    got = [np.empty_like(x), np.empty_like(wt), np.empty_like(b)]
    ref = [np.empty_like(x), np.empty_like(wt), np.empty_like(b)]
    emu.conv2d_backward(gy, x, wt, *got, params, 0)
    fastnn._C.conv2d_backward(gy, x, wt, *ref, params, "")
    for a, r in zip(got, ref):
        np.testing.assert_allclose(a, r, rtol=1e-12, atol=1e-12)
    only_w = np.empty_like(wt)
    emu.conv2d_backward(gy, x, wt, None, only_w, None, params, 0)
    np.testing.assert_allclose(only_w, ref[1], rtol=1e-12, atol=1e-12)


def test_conv2d_through_fastnn_ops_on_a_float32_image():
    rng = np.random.default_rng(3)
    x, wt = rng.standard_normal((2, 1, 12, 12)).astype(np.float32), rng.standard_normal((4, 1, 3, 3)).astype(np.float32)
    y = np.empty((2, 4, 12, 12), np.float32)
    emu.conv2d(x, wt, None, y, [1, 1, 1, 1, 1, 1, 1, 1, 1], 0)
    np.testing.assert_allclose(y, fastnn.ops.conv2d(x, wt, None, 1, 1), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ activations (cuda/activation.cu)
# The CUDA kernels run math/activation_math.h over the reference traits, so through the emulator (host libm)
# they must give the CPU reference kernel's results; on a GPU, CUDA's device libm differs by 1-2 ulp
# (test_cuda_gpu.py). name: (a, b, backward operand: "x" or "y")
EMU_ACTS = {"leaky_relu": (0.02, 0.0, "x"), "elu": (1.3, 0.0, "x"), "elu_result": (1.3, 0.0, "y"),
            "sigmoid": (0.0, 0.0, "y"), "tanh": (0.0, 0.0, "y"), "gelu": (0.0, 0.0, "x"), "gelu_tanh": (0.0, 0.0, "x"),
            "silu": (0.0, 0.0, "x"), "hardtanh": (-0.5, 2.0, "x"), "softplus": (1.5, 15.0, "x")}


def _act_sample(n, dtype, seed):
    x = mixed_values(n, dtype, seed=seed)
    x[np.abs(x) < 100] *= dtype(4)
    x[::11] = np.linspace(-30, 30, len(x[::11]), dtype=dtype)
    return x


def _assert_same_values(got, want, what):
    assert (np.isnan(got) == np.isnan(want)).all(), what
    finite = ~np.isnan(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=4 * np.finfo(got.dtype).eps, atol=0, err_msg=what)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0, 1])  # 1 misaligns the float4 path for float32
@pytest.mark.parametrize("name", EMU_ACTS)
def test_activation_forward_backward_match_the_cpu_reference(name, dtype, offset):
    a, b, saved = EMU_ACTS[name]
    fwd_name = "elu" if name == "elu_result" else name
    ref = "activation_f32__ref" if dtype == np.float32 else ""
    for n in (1, 5, 67, 1031):
        x = _act_sample(n + offset, dtype, seed=n)[offset:]
        g = mixed_values(n + offset, dtype, seed=n + 1)[offset:]
        want_y = np.empty_like(x)
        fastnn._C.activation(x, want_y, fwd_name, a, b, ref)
        buf = np.full(n + offset + 4, 7, dtype)
        y = buf[offset:offset + n]
        emu.activation(x, y, fwd_name, a, b, 0)
        _assert_same_values(y, want_y, f"{name} forward n={n} seed={emu.last_seed()}")
        assert (buf[offset + n:] == 7).all(), "wrote past the end"
        s = want_y if saved == "y" else x
        want_dx = np.empty_like(x)
        fastnn._C.activation_backward(g, s, want_dx, name, a, b, ref)
        dx = np.empty_like(x)
        emu.activation_backward(g, s, dx, name, a, b, 0)
        _assert_same_values(dx, want_dx, f"{name} backward n={n} seed={emu.last_seed()}")


def test_activation_in_place_and_errors():
    x = _act_sample(1000, np.float32, seed=5)
    want = torch.sigmoid(torch.from_numpy(x.copy())).numpy()
    emu.activation(x, x, "sigmoid", 0.0, 0.0, 0)
    np.testing.assert_allclose(x, want, rtol=3e-7, atol=0)
    g = np.ones_like(x)
    emu.activation_backward(g, x, g, "sigmoid", 0.0, 0.0, 0)  # dx written over dy
    np.testing.assert_allclose(g, (1 - want) * want, rtol=3e-7, atol=0)
    with pytest.raises(ValueError, match="backward form only"):
        emu.activation(x, np.empty_like(x), "elu_result", 1.0, 0.0, 0)
    with pytest.raises(ValueError, match="no activation named"):
        emu.activation(x, np.empty_like(x), "swish", 0.0, 0.0, 0)
    with pytest.raises((ValueError, TypeError)):
        emu.activation(x, np.empty(999, np.float32), "tanh", 0.0, 0.0, 0)
    with pytest.raises((ValueError, TypeError)):
        emu.activation(x, np.empty_like(x, dtype=np.float64), "tanh", 0.0, 0.0, 0)
    with pytest.raises(ValueError):
        emu.activation(x[::2], np.empty(500, np.float32), "tanh", 0.0, 0.0, 0)


# ------------------------------------------------------------------ softmax, cross-entropy (cuda/softmax.cu)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape,dim", [((5, 1), -1), ((9, 33), 1), ((3, 100), -1), ((17, 7), 0), ((2, 5, 3, 4), 1),
                                       ((4, 6, 3), -1), ((2, 3, 0), 1), ((70,), 0)])
def test_softmax_forward_backward_match_torch(shape, dim, log, dtype):
    rng = np.random.default_rng(len(shape) * 31 + shape[0])
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    if x.size > 4:
        x.reshape(-1)[3] = 80.0  # a large logit: only the max shift keeps exp finite
    y = np.empty_like(x)
    emu.softmax(x, y, dim, log, 0)
    tx = torch.from_numpy(x).double().requires_grad_()
    ty = torch.log_softmax(tx, dim) if log else torch.softmax(tx, dim)
    # log_softmax near 0 is x - lse with both near 80: an absolute error of an ulp of 80
    tol = dict(rtol=2e-6, atol=1e-5 if log else 1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=2e-14)
    torch.testing.assert_close(torch.from_numpy(y).double(), ty.detach(), **tol, msg=f"seed={emu.last_seed()}")
    g = rng.standard_normal(shape).astype(dtype)
    gx = np.empty_like(x)
    emu.softmax_backward(g, y, gx, dim, log, 0)
    want = fastnn.ops.log_softmax_backward(g, y, dim) if log else fastnn.ops.softmax_backward(g, y, dim)
    torch.testing.assert_close(torch.from_numpy(gx), torch.from_numpy(want), rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-14)
    (tg,) = torch.autograd.grad(ty, tx, torch.from_numpy(g).double())
    torch.testing.assert_close(torch.from_numpy(gx).double(), tg, **dict(tol, atol=2e-6 if dtype == np.float32 else 1e-14))


def test_softmax_in_place_nan_rows_and_errors():
    x = np.array([[1.0, 2.0, 3.0], [np.nan, 0.0, 1.0], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0]], np.float32)
    want = torch.softmax(torch.from_numpy(x), 1).numpy()
    emu.softmax(x, x, 1, False, 0)
    np.testing.assert_array_equal(np.isnan(x), np.isnan(want))
    np.testing.assert_allclose(x[0], want[0], rtol=1e-6)
    with pytest.raises(IndexError, match="dimension out of range"):
        emu.softmax(x, np.empty_like(x), 2, False, 0)
    with pytest.raises(ValueError):
        emu.softmax(x, np.empty((4, 2), np.float32), 1, False, 0)


def _emu_ce(x, t, w=None, ignore_index=-100, smoothing=0.0, reduction=1, grad_output=None, with_grad=True, form=0):
    """form 0: class indices t, 1: nll_loss (x log-probabilities), 2: class probabilities t"""
    loss = np.empty(x.shape[0] if reduction == 0 else 1, x.dtype)
    grad = np.empty_like(x) if with_grad else None
    probs, addr = (t, 0) if form == 2 else (None, t.ctypes.data if t.size else 0)
    emu.cross_entropy(x, w, loss, grad, grad_output, probs, addr, ignore_index, smoothing, reduction, form, 0)
    return loss, grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("N,C", [(1, 1), (13, 10), (40, 67)])
def test_cross_entropy_matches_torch(N, C, smoothing, weighted, reduction, dtype):
    rng = np.random.default_rng(N * C)
    x = (rng.standard_normal((N, C)) * 3).astype(dtype)
    t = rng.integers(0, C, N).astype(np.int64)
    t[::4] = -3  # ignored rows
    w = rng.uniform(0.2, 2.0, C).astype(dtype) if weighted else None
    red = {"none": 0, "mean": 1, "sum": 2}[reduction]
    go = rng.standard_normal(N if red == 0 else 1).astype(dtype)
    loss, grad = _emu_ce(x, t, w, -3, smoothing, red, go)
    tx = torch.from_numpy(x).double().requires_grad_()
    tl = torch.nn.functional.cross_entropy(tx, torch.from_numpy(t), None if w is None else torch.from_numpy(w).double(),
                                           ignore_index=-3, reduction=reduction, label_smoothing=smoothing)
    (tg,) = torch.autograd.grad(tl, tx, torch.from_numpy(go).double().reshape(tl.shape))
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(torch.from_numpy(loss).double().reshape(tl.shape), tl.detach(), **tol, equal_nan=True,
                               msg=f"seed={emu.last_seed()}")
    torch.testing.assert_close(torch.from_numpy(grad).double(), tg, **tol)
    loss_only, none = _emu_ce(x, t, w, -3, smoothing, red, with_grad=False)
    assert none is None
    np.testing.assert_array_equal(loss_only, loss)


def test_cross_entropy_edge_cases_and_bad_targets():
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    t = np.array([0, 1, -100, 4, 2, 3], np.int64)
    ref_loss, ref_grad = fastnn.ops.cross_entropy_with_grad(x, t)
    loss, grad = _emu_ce(x, t)
    np.testing.assert_allclose(loss[0], ref_loss, rtol=1e-6)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-5, atol=1e-7)
    all_ignored = np.full(6, -100, np.int64)
    assert np.isnan(_emu_ce(x, all_ignored)[0][0])  # mean over nothing, as torch
    assert _emu_ce(x, all_ignored, reduction=2)[0][0] == 0
    empty = np.empty((0, 5), np.float32)
    assert np.isnan(_emu_ce(empty, np.empty(0, np.int64))[0][0])
    for bad in (5, -1):
        tb = t.copy()
        tb[3] = bad
        with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
            _emu_ce(x, tb)
    with pytest.raises(RuntimeError, match="label_smoothing"):
        _emu_ce(x, t, smoothing=1.5)
    with pytest.raises((TypeError, RuntimeError)):
        _emu_ce(x, t, w=np.ones(4, np.float32))


# ------------------------------------------------------------------ pointwise losses (cuda/loss.cu)
# name: (a, torch function of (x, y, w, pw) in float64, input maker)
def _probs(rng, n, dtype):
    return rng.uniform(0.001, 0.999, n).astype(dtype)


EMU_LOSSES = {
    "mse": (0.0, lambda x, y, w, pw, r: torch.nn.functional.mse_loss(x, y, reduction=r)),
    "l1": (0.0, lambda x, y, w, pw, r: torch.nn.functional.l1_loss(x, y, reduction=r)),
    "smooth_l1": (0.7, lambda x, y, w, pw, r: torch.nn.functional.smooth_l1_loss(x, y, reduction=r, beta=0.7)),
    "huber": (1.5, lambda x, y, w, pw, r: torch.nn.functional.huber_loss(x, y, reduction=r, delta=1.5)),
    "bce": (0.0, lambda x, y, w, pw, r: torch.nn.functional.binary_cross_entropy(x, y, w, reduction=r)),
    "bce_with_logits": (0.0, lambda x, y, w, pw, r: torch.nn.functional.binary_cross_entropy_with_logits(
        x, y, w, reduction=r, pos_weight=pw)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", EMU_LOSSES)
def test_pointwise_losses_match_torch(name, reduction, dtype):
    a, ref = EMU_LOSSES[name]
    red = {"none": 0, "mean": 1, "sum": 2}[reduction]
    weighted = name.startswith("bce")
    for n in (0, 1, 300, 5000):
        rng = np.random.default_rng(n)
        x = _probs(rng, n, dtype) if name == "bce" else (rng.standard_normal(n) * 3).astype(dtype)
        y = _probs(rng, n, dtype) if name.startswith("bce") else rng.standard_normal(n).astype(dtype)
        w = rng.uniform(0.1, 2, n).astype(dtype) if weighted else None
        pw = rng.uniform(0.5, 3, n).astype(dtype) if name == "bce_with_logits" else None
        out = np.empty(n if red == 0 else 1, dtype)
        emu.pointwise_loss(x, y, w, pw, out, name, a, red, 0)
        t = [None if v is None else torch.from_numpy(v).double() for v in (x, y, w, pw)]
        tx = t[0].requires_grad_()
        want = ref(tx, t[1], t[2], t[3], reduction)
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
        torch.testing.assert_close(torch.from_numpy(out).double().reshape(want.shape), want.detach(), **tol,
                                   equal_nan=True, msg=f"{name} n={n} seed={emu.last_seed()}")
        go = rng.standard_normal(n if red == 0 else 1).astype(dtype)
        grad = np.empty_like(x)
        emu.pointwise_loss_backward(x, y, w, pw, go, grad, name, a, red, 0)
        if n:
            (tg,) = torch.autograd.grad(want, tx, torch.from_numpy(go).double().reshape(want.shape))
            torch.testing.assert_close(torch.from_numpy(grad).double(), tg, **tol, msg=f"{name} grad n={n}")


def test_pointwise_loss_is_deterministic_and_checks_operands():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(3000).astype(np.float32), rng.standard_normal(3000).astype(np.float32)
    outs = []
    for seed in range(3):
        emu.set_seed(seed)
        out = np.empty(1, np.float32)
        emu.pointwise_loss(x, y, None, None, out, "mse", 0.0, 2, 0)
        outs.append(out.tobytes())
    assert len(set(outs)) == 1
    with pytest.raises((ValueError, TypeError)):
        emu.pointwise_loss(x, y[:5], None, None, np.empty(1, np.float32), "mse", 0.0, 1, 0)
    with pytest.raises(RuntimeError, match="wrong size"):
        emu.pointwise_loss(x, y, None, None, np.empty(2, np.float32), "mse", 0.0, 1, 0)
    with pytest.raises(ValueError, match="no loss named"):
        emu.pointwise_loss(x, y, None, None, np.empty(1, np.float32), "hinge", 0.0, 1, 0)


# ------------------------------------------------------------------ dropout (cuda/dropout.cu)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_gives_the_cpu_mask_and_values(dtype):
    for n in (1, 7, 8, 9, 63, 1000, 4099):
        x = np.random.default_rng(n).standard_normal(n).astype(dtype)
        want_y, want_mask = fastnn.ops.dropout(x, 0.3, seed=1234 + n)
        y, mask = np.empty_like(x), np.full((n + 7) // 8, 0xAB, np.uint8)
        emu.dropout(x, y, mask.ctypes.data, 0.3, 1234 + n, 0)
        assert mask.tobytes() == want_mask.tobytes(), f"n={n} seed={emu.last_seed()}"
        assert y.tobytes() == want_y.tobytes()
        g = np.random.default_rng(n + 1).standard_normal(n).astype(dtype)
        dx = np.empty_like(g)
        emu.dropout_backward(g, dx, mask.ctypes.data, 0.3, 0)
        assert dx.tobytes() == fastnn.ops.dropout_backward(g, want_mask, 0.3).tobytes()
    emu.dropout(x, x, mask.ctypes.data, 0.3, 99, 0)  # in place
    with pytest.raises(ValueError, match="p must be in"):
        emu.dropout(x, y, mask.ctypes.data, 1.0, 1, 0)
    with pytest.raises(ValueError, match="mask is null"):
        emu.dropout(x, y, 0, 0.5, 1, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_and_probability_targets_match_torch(weighted, reduction, dtype):
    rng = np.random.default_rng(7)
    N, C = 21, 37
    x = (rng.standard_normal((N, C)) * 3).astype(dtype)
    t = rng.integers(0, C, N).astype(np.int64)
    t[::5] = -100
    probs = rng.dirichlet(np.ones(C), N).astype(dtype)
    w = rng.uniform(0.2, 2.0, C).astype(dtype) if weighted else None
    red = {"none": 0, "mean": 1, "sum": 2}[reduction]
    go = rng.standard_normal(N if red == 0 else 1).astype(dtype)
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    tw = None if w is None else torch.from_numpy(w).double()
    for form, target, smoothing in ((1, t, 0.0), (2, probs, 0.0), (2, probs, 0.3)):
        loss, grad = _emu_ce(x, target, w, -100, smoothing, red, go, form=form)
        tx = torch.from_numpy(x).double().requires_grad_()
        if form == 1:
            tl = torch.nn.functional.nll_loss(tx, torch.from_numpy(t), tw, reduction=reduction)
        else:
            tl = torch.nn.functional.cross_entropy(tx, torch.from_numpy(probs).double(), tw, reduction=reduction,
                                                   label_smoothing=smoothing)
        (tg,) = torch.autograd.grad(tl, tx, torch.from_numpy(go).double().reshape(tl.shape))
        what = f"form={form} smoothing={smoothing} seed={emu.last_seed()}"
        torch.testing.assert_close(torch.from_numpy(loss).double().reshape(tl.shape), tl.detach(), **tol, msg=what)
        torch.testing.assert_close(torch.from_numpy(grad).double(), tg, **tol, msg=what)
    bad = t.copy()
    bad[2] = C
    with pytest.raises(IndexError, match=f"nll_loss: Target {C} is out of bounds"):
        _emu_ce(x, bad, form=1)


# ------------------------------------------------------------------ optimizer steps (cuda/optim.cu)
EMU_OPTIMS = [("adam", dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1), (0, 1)),
              ("adam", dict(lr=1e-2, beta1=0.4, beta2=0.3, eps=1e-8, amsgrad=True, decoupled=True, weight_decay=0.1,
                            maximize=True), (0, 1, 2)),
              ("sgd", dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01), (0,)),
              ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True), (0,)),
              ("sgd", dict(lr=0.1), ()),
              ("rmsprop", dict(lr=1e-3, alpha=0.9, eps=1e-8, momentum=0.5, centered=True), (0, 1, 2)),
              ("adagrad", dict(lr=0.1, lr_decay=0.01, eps=1e-10, weight_decay=0.01), (0,))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind,hyper,states", EMU_OPTIMS, ids=lambda v: str(v) if isinstance(v, str) else "")
def test_optimizer_step_matches_the_cpu_kernels(kind, hyper, states, dtype):
    """Up to 20 tensors (two launches of 16), sizes around a block, three steps; against the CPU reference."""
    sizes = [1, 7, 256, 257, 3000] + [5] * 15
    rng = np.random.default_rng(len(sizes))
    ref = "optim_f32__ref" if dtype == np.float32 else ""

    def fresh():
        p = [rng.standard_normal(n).astype(dtype) for n in sizes]
        s = [[np.abs(rng.standard_normal(n)).astype(dtype) if k in states else None for n in sizes] for k in range(3)]
        return p, s

    p_emu, s_emu = fresh()
    p_cpu, s_cpu = [a.copy() for a in p_emu], [[None if a is None else a.copy() for a in lst] for lst in s_emu]
    for t in (1, 2, 3):
        g = [rng.standard_normal(n).astype(dtype) for n in sizes]
        first = [t == 1] * len(sizes) if kind == "sgd" and hyper.get("momentum") else []
        steps = [float(t)] * len(sizes) if kind in ("adam", "adagrad") else []
        lists = lambda s: [[a for a in lst] if lst[0] is not None else [] for lst in s]  # noqa: E731
        emu.optimizer_step(kind, p_emu, g, *lists(s_emu), steps, first, hyper, 0)
        fastnn._C.optimizer_step(kind, p_cpu, g, *lists(s_cpu), steps, first, hyper, ref)
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-14, atol=1e-15)
    for a, b in zip(p_emu, p_cpu):
        np.testing.assert_allclose(a, b, **tol, err_msg=f"seed={emu.last_seed()}")
    for la, lb in zip(s_emu, s_cpu):
        for a, b in zip(la, lb):
            if a is not None:
                np.testing.assert_allclose(a, b, **tol)


def test_optimizer_step_checks():
    p, g = [np.ones(4, np.float32)], [np.ones(4, np.float32)]
    with pytest.raises(ValueError, match="state list"):
        emu.optimizer_step("adam", p, g, [], [], [], [1.0], [], dict(lr=0.1, beta1=0.9, beta2=0.9), 0)
    with pytest.raises(ValueError, match="no optimizer named"):
        emu.optimizer_step("lion", p, g, [], [], [], [], [], {}, 0)
    with pytest.raises((ValueError, TypeError)):
        emu.optimizer_step("sgd", p, [np.ones(5, np.float32)], [], [], [], [], [], dict(lr=0.1), 0)


# ------------------------------------------------------------------ normalization and recurrent layers
# (cuda/norm.cu, cuda/rnn.cu): the same native entry points on the emulator and on the CPU, same arrays.

def _on_both(fn, make_args, outputs, dtype, ref_kernel=""):
    """Run native `fn` on the emulator and on the CPU (the float32 reference kernels: `ref_kernel`).
    make_args(outs) gives the positional arguments; outputs: {name: shape} of fresh arrays (NaN-filled, so
    an unwritten element shows). Returns ({name: emulator result}, {name: CPU result})."""
    results = []
    for mod, tail in ((emu, (0,)), (fastnn._C, (ref_kernel if dtype == np.float32 else "",))):
        outs = {k: np.full(shape, np.nan, dtype) for k, shape in outputs.items()}
        getattr(mod, fn)(*make_args(outs), *tail)
        results.append(outs)
    return results


def _assert_all_close(got, want, dtype, what):
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], **tol, err_msg=f"{what}: {k}, seed={emu.last_seed()}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 7), (4, 3, 5, 6), (1, 2, 1, 1), (3, 2, 300)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_the_cpu_path(dtype, shape, training, affine):
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    C = shape[1]
    w, b = (rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)) if affine else (None, None)
    rm0, rv0 = rng.standard_normal(C).astype(dtype), (np.abs(rng.standard_normal(C)) + 0.5).astype(dtype)
    stats = {}

    def args(o):
        rm, rv = rm0.copy(), rv0.copy()
        stats.setdefault("runs", []).append((rm, rv))
        return (x, w, b, rm, rv, o["y"], o["mean"], o["invstd"], training, 0.1, 1e-5)

    got, want = _on_both("batch_norm", args, {"y": shape, "mean": (C,), "invstd": (C,)}, dtype, "norm_f32__ref")
    _assert_all_close(got, want, dtype, "batch_norm")
    (rm_e, rv_e), (rm_c, rv_c) = stats["runs"]
    _assert_all_close({"rm": rm_e, "rv": rv_e}, {"rm": rm_c, "rv": rv_c}, dtype, "running statistics")
    gy = rng.standard_normal(shape).astype(dtype)
    sm, si = want["mean"], want["invstd"]
    got, want = _on_both("batch_norm_backward", lambda o: (gy, x, w, sm, si, o["gx"], o["gw"], o["gb"], training),
                         {"gx": shape, "gw": (C,), "gb": (C,)}, dtype, "norm_f32__ref")
    _assert_all_close(got, want, dtype, "batch_norm_backward")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,d", [((4, 5), 5), ((3, 2, 300), 600), ((7, 1), 1)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_the_cpu_path(dtype, shape, d, affine):
    rng = np.random.default_rng(d)
    x = (rng.standard_normal(shape) * 2 - 1).astype(dtype)
    M = x.size // d
    w, b = (rng.standard_normal(d).astype(dtype), rng.standard_normal(d).astype(dtype)) if affine else (None, None)
    got, want = _on_both("layer_norm", lambda o: (x, w, b, o["y"], o["mean"], o["rstd"], d, 1e-5),
                         {"y": shape, "mean": (M,), "rstd": (M,)}, dtype, "norm_f32__ref")
    _assert_all_close(got, want, dtype, "layer_norm")
    gy = rng.standard_normal(shape).astype(dtype)
    m, r = want["mean"], want["rstd"]
    outs = {"gx": shape, "gw": (d,), "gb": (d,)} if affine else {"gx": shape}
    got, want = _on_both("layer_norm_backward",
                         lambda o: (gy, x, w, m, r, o["gx"], o.get("gw"), o.get("gb"), d), outs, dtype,
                         "norm_f32__ref")
    _assert_all_close(got, want, dtype, "layer_norm_backward")


RNN_SHAPES = [(3, 2, 5, 7), (2, 3, 4, 33), (1, 1, 2, 3)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T,B,I,H", RNN_SHAPES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("extras", [False, True])  # bias and initial states
def test_lstm_layer_matches_the_cpu_path(dtype, T, B, I, H, reverse, extras):
    rng = np.random.default_rng(T * 100 + H)
    r = lambda *s: (rng.standard_normal(s) * 0.5).astype(dtype)  # noqa: E731
    x, wi, wh = r(T, B, I), r(4 * H, I), r(4 * H, H)
    b, h0, c0 = (r(4 * H), r(B, H), r(B, H)) if extras else (None, None, None)
    got, want = _on_both("lstm_layer", lambda o: (x, wi, wh, b, h0, c0, o["h"], o["c"], o["act"], reverse),
                         {"h": (T, B, H), "c": (T, B, H), "act": (T, B, 4 * H)}, dtype, "rnn_cell_f32__ref")
    _assert_all_close(got, want, dtype, "lstm_layer")
    h, c, act = want["h"], want["c"], want["act"]
    g, gh, gc = r(T, B, H), (r(B, H) if extras else None), (r(B, H) if extras else None)
    outs = {"dx": (T, B, I), "dwi": (4 * H, I), "dwh": (4 * H, H), "db": (4 * H,), "dh0": (B, H), "dc0": (B, H)}
    got, want = _on_both("lstm_layer_backward",
                         lambda o: (x, wi, wh, h0, c0, h, c, act, g, gh, gc, o["dx"], o["dwi"], o["dwh"], o["db"],
                                    o["dh0"], o["dc0"], reverse), outs, dtype, "rnn_cell_f32__ref")
    _assert_all_close(got, want, dtype, "lstm_layer_backward")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T,B,I,H", RNN_SHAPES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("extras", [False, True])  # biases and initial state
def test_gru_layer_matches_the_cpu_path(dtype, T, B, I, H, reverse, extras):
    rng = np.random.default_rng(T * 100 + H + 1)
    r = lambda *s: (rng.standard_normal(s) * 0.5).astype(dtype)  # noqa: E731
    x, wi, wh = r(T, B, I), r(3 * H, I), r(3 * H, H)
    bi, bh, h0 = (r(3 * H), r(3 * H), r(B, H)) if extras else (None, None, None)
    got, want = _on_both("gru_layer", lambda o: (x, wi, wh, bi, bh, h0, o["h"], o["act"], reverse),
                         {"h": (T, B, H), "act": (T, B, 4 * H)}, dtype, "rnn_cell_f32__ref")
    _assert_all_close(got, want, dtype, "gru_layer")
    h, act = want["h"], want["act"]
    g, gh = r(T, B, H), (r(B, H) if extras else None)
    outs = {"dx": (T, B, I), "dwi": (3 * H, I), "dwh": (3 * H, H), "dbi": (3 * H,), "dbh": (3 * H,), "dh0": (B, H)}
    got, want = _on_both("gru_layer_backward",
                         lambda o: (x, wi, wh, h0, h, act, g, gh, o["dx"], o["dwi"], o["dwh"], o["dbi"], o["dbh"],
                                    o["dh0"], reverse), outs, dtype, "rnn_cell_f32__ref")
    _assert_all_close(got, want, dtype, "gru_layer_backward")


def test_norm_and_rnn_edge_cases_and_checks():
    # empty sequence: the state gradients pass through, the rest is zero
    x, wi, wh = np.zeros((0, 2, 3), np.float32), np.ones((12, 3), np.float32), np.ones((12, 4), np.float32)
    h, act = np.zeros((0, 2, 4), np.float32), np.zeros((0, 2, 16), np.float32)
    gh = np.arange(8, dtype=np.float32).reshape(2, 4)
    dx, dwi, dwh = np.full((0, 2, 3), np.nan, np.float32), np.full((12, 3), np.nan, np.float32), np.full((12, 4), np.nan, np.float32)
    dbi, dbh, dh0 = np.full(12, np.nan, np.float32), np.full(12, np.nan, np.float32), np.full((2, 4), np.nan, np.float32)
    emu.gru_layer_backward(x, wi, wh, None, h, act, None, gh, dx, dwi, dwh, dbi, dbh, dh0, False, 0)
    assert np.array_equal(dh0, gh) and not dwi.any() and not dwh.any() and not dbi.any() and not dbh.any()
    # input size 0: the projection is the bias alone
    x0, wi0 = np.zeros((2, 1, 0), np.float32), np.zeros((12, 0), np.float32)
    bi, bh = np.arange(12, dtype=np.float32) * 0.1, np.zeros(12, np.float32)
    outs = [{}, {}]
    for o, (mod, tail) in zip(outs, ((emu, 0), (fastnn._C, ""))):
        o["h"], o["act"] = np.full((2, 1, 4), np.nan, np.float32), np.full((2, 1, 16), np.nan, np.float32)
        mod.gru_layer(x0, wi0, wh, bi, bh, None, o["h"], o["act"], False, tail)
    np.testing.assert_allclose(outs[0]["h"], outs[1]["h"], rtol=1e-6)
    # the CPU checks, shared: wrong shapes and dtypes raise
    with pytest.raises(RuntimeError, match="weight_hh"):
        emu.lstm_layer(np.zeros((2, 1, 3), np.float32), wi, np.ones((12, 4), np.float32), None, None, None,
                       np.zeros((2, 1, 4), np.float32), np.zeros((2, 1, 4), np.float32),
                       np.zeros((2, 1, 16), np.float32), False, 0)
    with pytest.raises(TypeError):
        emu.layer_norm(np.zeros((2, 3), np.float32), np.zeros(3, np.float64), None, np.zeros((2, 3), np.float32),
                       np.zeros(2, np.float32), np.zeros(2, np.float32), 3, 1e-5, 0)
    with pytest.raises(RuntimeError, match="running_mean"):
        emu.batch_norm(np.zeros((2, 3), np.float32), None, None, None, None, np.zeros((2, 3), np.float32),
                       np.zeros(3, np.float32), np.zeros(3, np.float32), False, 0.1, 1e-5, 0)
