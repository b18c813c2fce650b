"""Every registered ReLU kernel against torch, bit for bit, on edge sizes, special values and
misaligned outputs, with guard elements around the output to catch out-of-bounds writes."""
import numpy as np
import pytest
import torch

import fastnn
from helpers import EDGE_SIZES, mixed_values, skip_unless_usable, special_values

FAMILIES = ("relu_f32", "relu_f64", "relu_backward_f32", "relu_backward_f64")  # see test_registry.py
KERNELS = [k for k in fastnn.list_kernels() if k["family"] in FAMILIES]
FORWARD = [k["name"] for k in KERNELS if k["family"] in ("relu_f32", "relu_f64")]
BACKWARD = [k["name"] for k in KERNELS if k["family"] in ("relu_backward_f32", "relu_backward_f64")]
GUARD = 37  # elements on each side of the output that no kernel may touch


def dtype_of(name: str):
    return np.float64 if "_f64" in name else np.float32


def guarded_out(n: int, dtype, offset: int):
    """A contiguous output of n elements starting `offset` elements into a guard-filled buffer."""
    buf = np.full(n + 2 * GUARD + offset, 12345.0, dtype=dtype)
    return buf, buf[GUARD + offset: GUARD + offset + n]


def assert_bits_equal(got: np.ndarray, want: np.ndarray):
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), (
        f"first mismatch at {np.flatnonzero(got.view(np.uint8) != want.view(np.uint8))[:1] // got.itemsize}")


def test_every_family_ends_with_a_reference_kernel():
    families = {}
    for k in fastnn.list_kernels():
        families.setdefault(k["family"], []).append(k)
    for fam, ks in families.items():
        assert ks[-1]["isa"] == "generic" and ks[-1]["usable"], fam
        assert ks[-1]["name"].endswith("__ref")
    names = [k["name"] for k in fastnn.list_kernels()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("kernel", FORWARD)
@pytest.mark.parametrize("offset", [0, 1, 3, 7])
def test_relu_kernel_matches_torch(kernel, offset):
    skip_unless_usable(kernel)
    dtype = dtype_of(kernel)
    for n in EDGE_SIZES:
        x = mixed_values(n, dtype, seed=n)
        buf, out = guarded_out(n, dtype, offset)
        fastnn.ops.relu(x, out=out, kernel=kernel)
        assert_bits_equal(out, torch.relu(torch.from_numpy(x)).numpy())
        assert (buf[:GUARD + offset] == 12345.0).all() and (buf[GUARD + offset + n:] == 12345.0).all(), (
            f"{kernel} wrote outside its output (n={n}, offset={offset})")


@pytest.mark.parametrize("kernel", BACKWARD)
@pytest.mark.parametrize("offset", [0, 1, 5])
def test_relu_backward_kernel_matches_torch(kernel, offset):
    skip_unless_usable(kernel)
    dtype = dtype_of(kernel)
    for n in EDGE_SIZES:
        y = np.maximum(mixed_values(n, dtype, seed=n), 0) if n % 2 else mixed_values(n, dtype, seed=n)
        dy = mixed_values(n, dtype, seed=n + 1)
        buf, out = guarded_out(n, dtype, offset)
        fastnn.ops.relu_backward(dy, y, out=out, kernel=kernel)
        want = torch.ops.aten.threshold_backward(torch.from_numpy(dy), torch.from_numpy(y), 0.0).numpy()
        assert_bits_equal(out, want)
        assert (buf[:GUARD + offset] == 12345.0).all() and (buf[GUARD + offset + n:] == 12345.0).all()


@pytest.mark.parametrize("kernel", FORWARD)
def test_relu_kernel_special_values_in_every_lane(kernel):
    """Each special value at each position of a 16-lane vector and of the scalar tail."""
    skip_unless_usable(kernel)
    dtype = dtype_of(kernel)
    for v in special_values(dtype):
        for n in (16, 19, 64 + 5):
            x = np.ones(n, dtype=dtype)
            for pos in range(n):
                x[:] = -1.0
                x[pos] = v
                got = fastnn.ops.relu(x, kernel=kernel)
                assert_bits_equal(got, torch.relu(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("kernel", FORWARD + BACKWARD)
def test_kernel_in_place(kernel):
    skip_unless_usable(kernel)
    dtype = dtype_of(kernel)
    x = mixed_values(4099, dtype)
    if kernel in FORWARD:
        want = torch.relu(torch.from_numpy(x)).numpy()
        fastnn.ops.relu(x, out=x, kernel=kernel)
    else:
        y = mixed_values(4099, dtype, seed=3)
        want = torch.ops.aten.threshold_backward(torch.from_numpy(x), torch.from_numpy(y), 0.0).numpy()
        fastnn.ops.relu_backward(x, y, out=x, kernel=kernel)
    assert_bits_equal(x, want)


def test_unknown_kernel_name_is_a_value_error():
    with pytest.raises(ValueError, match="no kernel named 'relu_f32__nope'.*relu_f32__ref"):
        fastnn.ops.relu(np.ones(3, np.float32), kernel="relu_f32__nope")


def test_kernel_of_the_wrong_dtype_is_a_value_error():
    with pytest.raises(ValueError, match=r"^fastnn\.ops\.relu: no kernel named 'relu_f32__ref' in family relu_f64 "):
        fastnn.ops.relu(np.ones(3, np.float64), kernel="relu_f32__ref")


@pytest.mark.parametrize("kernel", [k["name"] for k in KERNELS if not k["usable"]] or ["(none)"])
def test_kernel_beyond_the_active_isa_is_refused(kernel):
    if kernel == "(none)":
        pytest.skip("every registered kernel can run on this CPU")
    dtype = dtype_of(kernel)
    x = np.ones(8, dtype)
    with pytest.raises(RuntimeError, match="needs avx"):
        if kernel in FORWARD:
            fastnn.ops.relu(x, kernel=kernel)
        else:
            fastnn.ops.relu_backward(x, x, kernel=kernel)


def test_streaming_kernel_is_selected_only_past_the_last_level_cache():
    info = fastnn.cpu_info()
    best = fastnn._C.selected_kernel("relu_f32", streaming=True)
    cached = fastnn._C.selected_kernel("relu_f32", streaming=False)
    assert cached == info["kernels"]["relu_f32"]
    assert not [k for k in fastnn.list_kernels() if k["name"] == cached][0]["streaming"]
    if info["isa"] != "generic":
        assert best.startswith("relu_f32_nt__")
    # The op picks by output size; both sides of the threshold give torch's result.
    for n in (info["llc_bytes"] // 4 - 3, info["llc_bytes"] // 4 + 5):
        x = mixed_values(n, np.float32, seed=1)
        assert_bits_equal(fastnn.ops.relu(x), torch.relu(torch.from_numpy(x)).numpy())
