"""Every registered GEMM micro-kernel (through fastnn._C.matmul, which forces it) against a float64
product: edge sweeps of M, N, K around each kernel's MR, NR and KC, every transpose combination, alpha and
beta, both bias epilogues and ReLU, strided operands, guard elements around the output (out-of-bounds
writes), and both ways of splitting the work between threads.

Tolerance from the arithmetic: a length-K dot product in precision u is off by at most about
(K + 3) u sum_k |a_k b_k| (the +3 for alpha, beta and bias), so each element is checked against its
own bound (K + 4) u (|alpha| |op(A)| |op(B)| + |beta c| + |bias|) instead of one fudge factor.
"""
import numpy as np
import pytest

import fastnn
from fastnn import _C
from helpers import run_python, skip_unless_usable

FAMILIES = ("gemm_f32", "gemm_f64", "gemm_dot_f32")  # see test_registry.py
KERNELS = [k["name"] for k in fastnn.list_kernels() if k["family"] in FAMILIES]
GUARD = 12345.0
TRANSPOSES = [(False, False), (False, True), (True, False), (True, True)]


def dtype_of(kernel):
    return np.float64 if "_f64" in kernel else np.float32


def operands(m, n, k, ta, tb, dtype, rng):
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    return a, b


def guarded_out(m, n, dtype, pad, rng, fill=None):
    """An (m, n) view with row stride n + pad inside a buffer whose every other element is GUARD."""
    buf = np.full((m + 2, n + pad), GUARD, dtype=dtype)
    out = buf[1:m + 1, :n]
    out[...] = rng.standard_normal((m, n)) if fill is None else fill
    return buf, out


def check(kernel, m, n, k, ta, tb, rng, alpha=1.0, beta=0.0, bias_m=False, bias_n=False, relu=False, pad=3,
          a=None, b=None):
    dtype = dtype_of(kernel)
    if a is None:
        a, b = operands(m, n, k, ta, tb, dtype, rng)
    buf, out = guarded_out(m, n, dtype, pad, rng)
    c0 = out.astype(np.float64)
    bm = rng.standard_normal(m).astype(dtype) if bias_m else None
    bn = rng.standard_normal(n).astype(dtype) if bias_n else None
    _C.matmul(a, b, out, bm, bn, ta, tb, alpha, beta, relu, kernel)

    A = (a.T if ta else a).astype(np.float64)
    B = (b.T if tb else b).astype(np.float64)
    want = alpha * (A @ B) + (beta * c0 if beta else 0.0)
    mag = abs(alpha) * (np.abs(A) @ np.abs(B)) + (abs(beta) * np.abs(c0) if beta else 0.0)
    if bm is not None:
        want += bm[:, None]
        mag += np.abs(bm)[:, None]
    if bn is not None:
        want += bn[None, :]
        mag += np.abs(bn)[None, :]
    if relu:
        want = np.maximum(want, 0.0)
    u = np.finfo(dtype).eps / 2
    bound = (k + 4) * u * mag + np.finfo(dtype).tiny
    err = np.abs(out - want)
    assert (err <= bound).all(), (
        f"{kernel} m={m} n={n} k={k} ta={ta} tb={tb}: max error {err.max():.3g} "
        f"(bound there {bound.flat[err.argmax()]:.3g})")
    inside = np.zeros(buf.shape, bool)
    inside[1:m + 1, :n] = True
    assert (buf[~inside] == GUARD).all(), f"{kernel} wrote outside its output (m={m} n={n} k={k})"


def is_dot(kernel):
    """The small-M inner-product kernels read rows contiguous along k: op(a) = a, op(b) = b.T only."""
    return kernel.startswith("gemm_dot_")


def layouts(kernel):
    return [(False, True)] if is_dot(kernel) else TRANSPOSES


def blocking(kernel):
    if is_dot(kernel):  # 4x4 tiles, k in passes of 1024, 16 k per vector
        return {"mr": 4, "nr": 4, "kc": 1024}
    return _C.gemm_blocking(kernel)


def edge_sizes(kernel):
    blk = blocking(kernel)
    mr, nr, kc = blk["mr"], blk["nr"], blk["kc"]
    mn = sorted({1, 2, 3, 7, mr - 1, mr, mr + 1, nr - 1, nr, nr + 1, 2 * mr + 3, 37} - {0})
    ks = sorted({0, 1, 2, 3, 7, 13, 15, 16, 17, kc - 1, kc, kc + 1, 2 * kc + 5})
    return mn, ks


@pytest.mark.parametrize("kernel", KERNELS)
def test_edge_sweep_every_transpose(kernel):
    skip_unless_usable(kernel)
    rng = np.random.default_rng(1)
    mn, ks = edge_sizes(kernel)
    lay = layouts(kernel)
    for i, m in enumerate(mn):
        for j, n in enumerate(mn):
            ta, tb = lay[(i + 2 * j) % len(lay)]
            check(kernel, m, n, ks[(i + j) % len(ks)], ta, tb, rng)


@pytest.mark.parametrize("kernel,ta,tb", [(k, ta, tb) for k in KERNELS for ta, tb in layouts(k)])
def test_k_sweep(kernel, ta, tb):
    skip_unless_usable(kernel)
    rng = np.random.default_rng(2)
    blk = blocking(kernel)
    _, ks = edge_sizes(kernel)
    for k in ks:
        check(kernel, blk["mr"] + 1, blk["nr"] + 1, k, ta, tb, rng)


@pytest.mark.parametrize("kernel", KERNELS)
def test_epilogue_alpha_beta_bias_relu(kernel):
    skip_unless_usable(kernel)
    rng = np.random.default_rng(3)
    blk = blocking(kernel)
    lay = layouts(kernel)
    shapes = [(blk["mr"], blk["nr"], 5), (blk["mr"] + 1, blk["nr"] - 1, blk["kc"] + 1), (1, 1, 1), (9, 33, 0)]
    for idx, (m, n, k) in enumerate(shapes):
        for alpha, beta in [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25), (1.0, 1.0)]:
            for bm, bn, relu in [(True, False, False), (False, True, True), (True, True, True), (False, False, True)]:
                ta, tb = lay[idx % len(lay)]
                check(kernel, m, n, k, ta, tb, rng, alpha, beta, bm, bn, relu)


@pytest.mark.parametrize("kernel", KERNELS)
def test_beta_zero_never_reads_out(kernel):
    skip_unless_usable(kernel)
    dtype = dtype_of(kernel)
    a, b = np.ones((5, 3), dtype), np.ones((19, 3), dtype)
    out = np.full((5, 19), np.nan, dtype)
    _C.matmul(a, b, out, None, None, False, True, 1.0, 0.0, False, kernel)
    assert (out == 3).all()


@pytest.mark.parametrize("kernel", KERNELS)
def test_nan_and_inf_propagate(kernel):
    skip_unless_usable(kernel)
    dtype = dtype_of(kernel)
    a = np.ones((7, 4), dtype)
    b = np.ones((17, 4), dtype)
    a[2, 1] = np.nan
    b[5, 3] = np.inf
    out = np.empty((7, 17), dtype)
    _C.matmul(a, b, out, None, None, False, True, 1.0, 0.0, True, kernel)
    want = np.maximum(a.astype(np.float64) @ b.T, 0)  # ReLU keeps NaN, as torch.relu
    np.testing.assert_array_equal(out, want.astype(dtype))


@pytest.mark.parametrize("kernel", KERNELS)
def test_strided_operands_read_in_place(kernel):
    """Sliced, negatively strided and expanded (stride 0) operands, and a padded output."""
    skip_unless_usable(kernel)
    rng = np.random.default_rng(4)
    dtype = dtype_of(kernel)
    big = rng.standard_normal((61, 90)).astype(dtype)
    if is_dot(kernel):  # rows contiguous along k, any row stride (negative, zero)
        a = big[3:40:2, 5:27]               # (19, 22), row stride 180
        b = big[60:37:-1, 40:62]            # (23, 22), negative row stride
        check(kernel, 19, 23, 22, False, True, rng, a=a, b=b)
        e = np.broadcast_to(rng.standard_normal((1, 22)).astype(dtype), (19, 22))  # stride 0
        check(kernel, 19, 19, 22, False, True, rng, a=e, b=e)
        return
    a = big[3:40:2, 5:70:3]           # (19, 22), both strides > 1
    b = big[60:16:-2, 29:6:-1]          # (22, 23), both strides negative
    assert not a.flags.c_contiguous and b.shape == (22, 23) and max(b.strides) < 0
    check(kernel, 19, b.shape[1], 22, False, False, rng, a=a, b=b)
    e = np.broadcast_to(rng.standard_normal((1, 22)).astype(dtype), (19, 22))  # stride 0
    check(kernel, 22, 22, 19, True, False, rng, a=e, b=e)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("shape", [(300, 40, 70), (40, 300, 70), (97, 101, 33), (610, 300, 560)])
def test_threaded_split_matches_one_thread(kernel, shape):
    """Large enough to run on two threads, cut along M or N (the last shape: cut along M with the B panels
    packed by all threads together); the result must not depend on the cut (each element is computed by
    one thread, in the same order)."""
    skip_unless_usable(kernel)
    rng = np.random.default_rng(5)
    m, n, k = shape
    dtype = dtype_of(kernel)
    a, b = operands(m, n, k, False, True, dtype, rng)  # Linear's layout: either path
    outs = []
    before = fastnn.get_num_threads()
    try:
        for threads in (1, 2):
            fastnn.set_num_threads(threads)
            out = np.empty((m, n), dtype)
            _C.matmul(a, b, out, None, None, False, True, 1.0, 0.0, False, kernel)
            outs.append(out)
    finally:
        fastnn.set_num_threads(before)
    np.testing.assert_array_equal(outs[0], outs[1])
    check(kernel, m, n, k, False, True, rng, a=a, b=b)


def test_dot_kernel_refuses_other_layouts():
    a = np.ones((4, 4), np.float32)
    for ta, tb in [(False, False), (True, True), (True, False)]:
        with pytest.raises(ValueError, match="contiguous along k"):
            _C.matmul(a, a, np.empty((4, 4), np.float32), None, None, ta, tb, 1.0, 0.0, False, "gemm_dot_f32__ref")


@pytest.mark.parametrize("m", [1, 64, 128, 129, 300])
def test_automatic_choice_is_one_of_the_registered_paths(m):
    """Unforced, Linear's layout runs the inner-product path up to M = 128 rows and the packed one above:
    the result equals one of the two forced runs bit for bit."""
    rng = np.random.default_rng(6)
    a, b = operands(m, 70, 300, False, True, np.float32, rng)
    auto = fastnn.ops.matmul(a, b, trans_b=True)
    dot = fastnn.ops.matmul(a, b, trans_b=True, kernel=_C.selected_kernel("gemm_dot_f32"))
    packed = fastnn.ops.matmul(a, b, trans_b=True, kernel=_C.selected_kernel("gemm_f32"))
    np.testing.assert_array_equal(auto, dot if m <= 128 else packed)


def test_forced_isa_picks_the_matching_gemm_kernel():
    code = """
import numpy as np, fastnn
from fastnn import _C
name = _C.selected_kernel("gemm_f32")
a = np.arange(12, dtype=np.float32).reshape(3, 4)
out = fastnn.ops.matmul(a, a, trans_b=True)
assert np.allclose(out, a @ a.T), out
print(fastnn.cpu_info()["isa"], name)
"""
    for isa, suffix in (("generic", "__ref"), ("avx2", "__avx2")):
        if isa == "avx2" and fastnn.cpu_info()["best_isa"] == "generic":
            continue
        res = run_python(code, env={"FASTNN_ISA": isa})
        assert res.returncode == 0, res.stderr
        assert res.stdout.split() == [isa, f"gemm_f32_ukernel_{'4x8' if isa == 'generic' else '6x16'}{suffix}"]
