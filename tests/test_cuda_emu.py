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
