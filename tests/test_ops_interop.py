"""fastnn.ops on numpy arrays and torch tensors: kinds, layouts, out=, in-place, and bad input."""
import threading

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastnn
from fastnn import ops
from helpers import mixed_values, on_fake_gpu


def relu_ref(x):
    return torch.relu(torch.from_numpy(np.array(x))).numpy()  # np.array: a writable copy for torch


# ---------------------------------------------------------------- kinds, shapes and layouts

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (3, 0, 2), (2, 3, 5), (7, 1, 13)])
def test_numpy_in_numpy_out(dtype, shape):
    x = mixed_values(int(np.prod(shape)), dtype).reshape(shape)
    y = ops.relu(x)
    assert type(y) is np.ndarray and y.dtype == dtype and y.shape == shape and y.flags.c_contiguous
    np.testing.assert_array_equal(y, relu_ref(x))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (2, 3, 5), (64, 32, 28, 28)])
def test_torch_in_torch_out(dtype, shape):
    x = torch.randn(shape, dtype=dtype)
    y = ops.relu(x)
    assert type(y) is torch.Tensor and y.dtype == dtype and y.shape == x.shape and y.is_contiguous()
    torch.testing.assert_close(y, torch.relu(x), rtol=0, atol=0)


def test_torch_input_is_not_copied():
    x = torch.randn(1000)
    y = torch.empty(1000)
    assert ops.relu(x, out=y) is y
    ops.relu_(x)
    assert x.data_ptr() == x.data_ptr() and (x >= 0).all()
    xn = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    t = torch.from_numpy(xn)  # torch view of numpy memory: both see the in-place result
    ops.relu_(t)
    assert (xn >= 0).all()


def test_requires_grad_input_is_read_without_autograd():
    x = torch.randn(10, requires_grad=True)
    y = ops.relu(x)
    assert not y.requires_grad and y.grad_fn is None
    torch.testing.assert_close(y, torch.relu(x.detach()))


NONCONTIGUOUS = {
    "transposed": lambda a: a.reshape(6, 35).T,
    "sliced": lambda a: a.reshape(14, 15)[::2, 1::3],
    "negative_stride": lambda a: a[::-1],
    "stride_0": lambda a: np.broadcast_to(a[:7], (30, 7)),
    "fortran": lambda a: np.asfortranarray(a.reshape(10, 21)),
}


@pytest.mark.parametrize("layout", NONCONTIGUOUS)
def test_noncontiguous_numpy_is_copied_and_correct(layout):
    x = NONCONTIGUOUS[layout](mixed_values(210, np.float32))
    y = ops.relu(x)
    assert y.shape == x.shape and y.flags.c_contiguous
    np.testing.assert_array_equal(y, relu_ref(x))
    dy = np.ones_like(x)
    want = torch.ops.aten.threshold_backward(torch.as_tensor(dy.copy()), torch.as_tensor(x.copy()), 0.0).numpy()
    np.testing.assert_array_equal(ops.relu_backward(dy, x), want)


@pytest.mark.parametrize("layout", ["transposed", "sliced", "expanded", "channels_last", "offset_view"])
def test_noncontiguous_torch_is_correct(layout):
    base = torch.randn(2, 3, 8, 8)
    x = {"transposed": base.view(6, 64).t(), "sliced": base[:, :, ::2, 1::3],
         "expanded": base[0, 0, 0, :1].expand(5, 9), "channels_last": base.to(memory_format=torch.channels_last),
         "offset_view": base.view(-1)[3:100]}[layout]
    torch.testing.assert_close(ops.relu(x), torch.relu(x), rtol=0, atol=0)
    g = torch.randn(x.shape)
    torch.testing.assert_close(ops.relu_backward(g, x), torch.ops.aten.threshold_backward(g, x, 0.0), rtol=0, atol=0)


def test_misaligned_numpy_view_is_copied():
    raw = np.zeros(4 * 101 + 1, dtype=np.uint8)
    x = np.frombuffer(raw.data, dtype=np.float32, count=100, offset=1)  # data pointer at an odd address
    assert not x.flags.aligned
    x_val = x.copy()
    np.testing.assert_array_equal(ops.relu(x), relu_ref(x_val))


def test_read_only_input_is_fine():
    x = mixed_values(50, np.float32)
    x.flags.writeable = False
    np.testing.assert_array_equal(ops.relu(x), relu_ref(x))


# ---------------------------------------------------------------- out= and in-place

def test_out_aliasing_input_is_in_place():
    x = mixed_values(1000, np.float32)
    want = relu_ref(x)
    assert ops.relu(x, out=x) is x
    np.testing.assert_array_equal(x, want)


def test_relu_inplace_numpy_noncontiguous_writes_back():
    base = mixed_values(200, np.float32)
    keep = base.copy()
    view = base[::2]
    assert ops.relu_(view) is view
    np.testing.assert_array_equal(base[::2], relu_ref(keep[::2]))
    np.testing.assert_array_equal(base[1::2], keep[1::2])  # the other half is untouched


def test_relu_inplace_torch_noncontiguous_writes_back():
    base = torch.randn(10, 20)
    keep = base.clone()
    view = base.t()
    assert ops.relu_(view) is view
    torch.testing.assert_close(base, torch.relu(keep), rtol=0, atol=0)


def test_relu_backward_out_may_alias_grad_output():
    dy, y = mixed_values(300, np.float32), mixed_values(300, np.float32, seed=4)
    want = torch.ops.aten.threshold_backward(torch.from_numpy(dy), torch.from_numpy(y), 0.0).numpy()
    ops.relu_backward(dy, y, out=dy)
    np.testing.assert_array_equal(dy, want)


# ---------------------------------------------------------------- bad input: clear exceptions

BAD_INPUTS = [
    ([1.0, -2.0], TypeError, r"fastnn.ops.relu: argument 'x' must be a numpy.ndarray or a torch.Tensor, got list"),
    (3.0, TypeError, "got float"),
    (None, TypeError, "got NoneType"),
    (np.ones(3, np.float16), TypeError, r"argument 'x' has dtype float16; expected one of float32, float64"),
    (np.ones(3, np.int64), TypeError, "has dtype int64"),
    (np.ones(3, np.complex64), TypeError, "has dtype complex64"),
    (np.ones(3, ">f4"), TypeError, "non-native byte order"),
    (torch.ones(3, dtype=torch.float16), TypeError, "has dtype float16"),
    (torch.ones(3, dtype=torch.bfloat16), TypeError, "has dtype bfloat16"),
    (torch.ones(3, dtype=torch.int64), TypeError, "has dtype int64"),
    (torch.ones(3).to_sparse(), TypeError, "must be a dense"),
    (torch.ones(3, device="meta"), ValueError, "must be on the CPU or a CUDA device, got device meta"),
]


@pytest.mark.parametrize("x,exc,msg", BAD_INPUTS, ids=lambda v: type(v).__name__ if not isinstance(v, str) else None)
def test_bad_input_raises_clear_error(x, exc, msg):
    with pytest.raises(exc, match=msg):
        ops.relu(x)


def test_cuda_tensor_on_build_without_cuda_is_refused():
    x = on_fake_gpu(torch.ones(3))
    assert not fastnn.cuda.is_available()
    with pytest.raises(ValueError, match=r"argument 'x' is on device cuda:0, but ") as e:
        ops.relu(x)
    assert fastnn.cuda.unavailable_reason() in str(e.value)


def out_cases():
    f32 = lambda *s: np.zeros(s, np.float32)  # noqa: E731
    ro = f32(4)
    ro.flags.writeable = False
    return [
        (f32(5), ValueError, r"fastnn.ops.relu: argument 'out' has shape \(5,\) but 'x' has \(4,\)"),
        (f32(2, 2), ValueError, "has shape"),
        (np.zeros(4, np.float64), TypeError, "argument 'out' has dtype float64 but 'x' has float32"),
        (torch.zeros(4), TypeError, "argument 'out' is a torch.Tensor but 'x' is a numpy.ndarray"),
        (f32(8)[::2], ValueError, "must be C-contiguous"),
        (ro, ValueError, "read-only"),
        ([0.0] * 4, TypeError, "argument 'out' must be a numpy.ndarray"),
    ]


@pytest.mark.parametrize("out,exc,msg", out_cases())
def test_bad_out_raises_clear_error(out, exc, msg):
    with pytest.raises(exc, match=msg):
        ops.relu(np.ones(4, np.float32), out=out)


def test_out_partially_overlapping_input_is_refused():
    buf = np.ones(10, np.float32)
    with pytest.raises(ValueError, match="'out' partially overlaps 'x'"):
        ops.relu(buf[:8], out=buf[2:])


def test_out_requiring_grad_is_refused():
    with pytest.raises(RuntimeError, match="argument 'out' requires grad"):
        ops.relu(torch.ones(3), out=torch.zeros(3, requires_grad=True))
    with pytest.raises(RuntimeError, match="argument 'x' requires grad"):
        ops.relu_(torch.ones(3, requires_grad=True))
    with torch.no_grad():
        x = torch.tensor([-1.0, 2.0], requires_grad=True)
        ops.relu_(x)
    assert x.tolist() == [0.0, 2.0]


def test_inplace_on_read_only_numpy_is_refused():
    x = np.ones(3, np.float32)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="fastnn.ops.relu_: argument 'x' is a read-only numpy array"):
        ops.relu_(x)


@pytest.mark.parametrize("dy,y,exc,msg", [
    (np.ones(3, np.float32), np.ones(4, np.float32), ValueError, "'output' has shape \\(4,\\) but 'grad_output' has \\(3,\\)"),
    (np.ones(3, np.float32), np.ones(3, np.float64), TypeError, "'output' has dtype float64 but 'grad_output' has float32"),
    (np.ones(3, np.float32), torch.ones(3), TypeError, "'output' is a torch.Tensor but 'grad_output' is a numpy.ndarray"),
    (np.ones(3, np.float32), [1, 2, 3], TypeError, "argument 'output' must be a numpy.ndarray"),
    (np.ones(3, np.int32), np.ones(3, np.int32), TypeError, "argument 'grad_output' has dtype int32"),
])
def test_relu_backward_bad_input(dy, y, exc, msg):
    with pytest.raises(exc, match=msg):
        ops.relu_backward(dy, y)


def test_native_layer_checks_again():
    """The core validates views itself (it is also used without the Python layer)."""
    x = np.ones(8, np.float32)
    good = (x.ctypes.data, "float32", (8,), (1,), "cpu", 0, False)
    with pytest.raises(ValueError, match="relu: argument 'x' must be C-contiguous"):
        fastnn._C.relu((x.ctypes.data, "float32", (4,), (2,), "cpu", 0, False), good)
    with pytest.raises(ValueError, match="relu: argument 'out' is read-only"):
        fastnn._C.relu(good, good[:6] + (True,))
    with pytest.raises(TypeError, match="no kernels for dtype float16"):
        fastnn._C.relu(good[:1] + ("float16",) + good[2:], good)
    with pytest.raises(ValueError, match="must be on the CPU"):
        fastnn._C.relu(good[:4] + ("cuda",) + good[5:], good)
    with pytest.raises(TypeError, match="no kernels for buffer format 'i'"):
        fastnn._C.relu(np.ones(8, np.int32), x)
    with pytest.raises(TypeError, match="expected an array with the buffer protocol or a view descriptor, got list"):
        fastnn._C.relu([1.0], x)
    with pytest.raises(ValueError, match="relu: argument 'out' is read-only"):
        ro = np.ones(8, np.float32)
        ro.flags.writeable = False
        fastnn._C.relu(x, ro)
    with pytest.raises(ValueError, match="null data pointer"):
        fastnn._C.relu((0,) + good[1:], good)
    with pytest.raises(ValueError, match="negative dimension"):
        fastnn._C.relu(good[:2] + ((-8,),) + good[3:], good)


# ---------------------------------------------------------------- properties and concurrency

@settings(max_examples=60, deadline=None)
@given(hnp.arrays(dtype=st.sampled_from([np.float32, np.float64]),
                  shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40),
                  elements=st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True, width=32)))
def test_relu_matches_torch_bitwise_property(x):
    got = ops.relu(x)
    want = relu_ref(x)
    assert got.tobytes() == want.tobytes()
    dy = np.full_like(x, 2.5)
    got_b = ops.relu_backward(dy, got)
    want_b = torch.ops.aten.threshold_backward(torch.from_numpy(dy), torch.from_numpy(want), 0.0).numpy()
    assert np.array_equal(got_b, want_b)


def test_kernels_run_without_the_gil():
    ops.relu(np.ones(10, np.float32))
    assert fastnn._C._last_call_held_gil() is False


def test_concurrent_calls_from_python_threads():
    xs = [mixed_values(300_000 + i, np.float32, seed=i) for i in range(6)]
    results = [None] * len(xs)

    def work(i):
        for _ in range(5):
            results[i] = ops.relu(xs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for x, r in zip(xs, results):
        np.testing.assert_array_equal(r, relu_ref(x))
