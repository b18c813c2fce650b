"""fastnn.ops routes torch CUDA tensors to fastnn._C_cuda on torch's current stream. No GPU here, so the
plumbing is tested with stand-ins: CPU tensors that report device cuda:0, and the emulator module
(the same CUDA kernels on host memory) in place of fastnn._C_cuda. On a GPU machine the real module runs
the same calls."""
import numpy as np
import pytest
import torch

import fastnn
from fastnn import _C_cuda_emu as emu
from fastnn.ops import _interop
from helpers import on_fake_gpu

STREAM = 0x5EED


class EmulatedCudaModule:
    """Stands in for fastnn._C_cuda: checks what fastnn.ops hands over, then runs the emulator."""

    def __init__(self):
        self.calls = []

    def _host(self, d):
        if d is None:  # an absent optional array
            return None
        assert isinstance(d, tuple) and d[4:6] == ("cuda", 0), d  # a CUDA descriptor for device 0
        return d[:4] + ("cpu", 0) + d[6:]

    def matmul(self, a, b, out, bias_m, bias_n, trans_a, trans_b, alpha, beta, relu, stream):
        self.calls.append(("matmul", stream))
        emu.matmul(*map(self._host, (a, b, out, bias_m, bias_n)), trans_a, trans_b, alpha, beta, relu, 0)

    def linear_backward(self, gy, x, w, gx, gw, gb, stream):
        self.calls.append(("linear_backward", stream))
        emu.linear_backward(*map(self._host, (gy, x, w, gx, gw, gb)), 0)

    def max_pool2d(self, x, out, indices, params, stream):
        self.calls.append(("max_pool2d", stream))
        emu.max_pool2d(self._host(x), self._host(out), indices, params, 0)

    def max_pool2d_backward(self, gy, x, gx, params, stream):
        self.calls.append(("max_pool2d_backward", stream))
        emu.max_pool2d_backward(*map(self._host, (gy, x, gx)), params, 0)

    def avg_pool2d(self, x, out, params, stream):
        self.calls.append(("avg_pool2d", stream))
        emu.avg_pool2d(self._host(x), self._host(out), params, 0)

    def avg_pool2d_backward(self, gy, gx, params, stream):
        self.calls.append(("avg_pool2d_backward", stream))
        emu.avg_pool2d_backward(self._host(gy), self._host(gx), params, 0)

    def conv2d(self, x, w, b, out, params, stream):
        self.calls.append(("conv2d", stream))
        emu.conv2d(*map(self._host, (x, w, b, out)), params, 0)

    def conv2d_backward(self, gy, x, w, gx, gw, gb, params, stream):
        self.calls.append(("conv2d_backward", stream))
        emu.conv2d_backward(*map(self._host, (gy, x, w, gx, gw, gb)), params, 0)

    def sum_rows(self, x, out, accumulate, stream):
        self.calls.append(("sum_rows", stream))
        emu.sum_rows(self._host(x), self._host(out), accumulate, 0)

    def relu(self, x, out, stream):
        self.calls.append(("relu", stream))
        emu.relu(self._host(x), self._host(out), 0)

    def relu_backward(self, dy, y, out, stream):
        self.calls.append(("relu_backward", stream))
        emu.relu_backward(self._host(dy), self._host(y), self._host(out), 0)


@pytest.fixture
def gpu(monkeypatch):
    module = EmulatedCudaModule()
    monkeypatch.setattr(fastnn.cuda, "_status", lambda: (module, None))
    monkeypatch.setattr(_interop, "current_stream", lambda device: STREAM)
    return module


def test_cuda_tensors_run_on_the_cuda_module_and_current_stream(gpu):
    cpu = torch.randn(10_001)
    x = on_fake_gpu(cpu.clone())
    y = fastnn.ops.relu(x)
    assert y.device == torch.device("cuda", 0)
    torch.testing.assert_close(torch.Tensor(y), torch.relu(cpu), rtol=0, atol=0)
    g = on_fake_gpu(torch.randn(10_001))
    dx = fastnn.ops.relu_backward(g, y)
    torch.testing.assert_close(torch.Tensor(dx), torch.ops.aten.threshold_backward(torch.Tensor(g), torch.relu(cpu), 0.0),
                               rtol=0, atol=0)
    fastnn.ops.relu_(x)
    assert gpu.calls == [("relu", STREAM), ("relu_backward", STREAM), ("relu", STREAM)]


def test_mixed_devices_name_both(gpu):
    x = on_fake_gpu(torch.randn(8))
    with pytest.raises(RuntimeError, match=r"argument 'out' is on device cpu but 'x' is on device cuda:0"):
        fastnn.ops.relu(x, out=torch.empty(8))
    with pytest.raises(RuntimeError, match=r"argument 'output' is on device cuda:0 but 'grad_output' is on device cpu"):
        fastnn.ops.relu_backward(torch.ones(8), x)
    assert gpu.calls == []


def test_cpu_kernel_names_are_refused_for_cuda_tensors(gpu):
    with pytest.raises(ValueError, match="kernel='relu_f32__ref' selects a CPU kernel variant"):
        fastnn.ops.relu(on_fake_gpu(torch.randn(8)), kernel="relu_f32__ref")


def test_cpu_arrays_never_touch_the_cuda_module(gpu):
    fastnn.ops.relu(np.ones(4, np.float32))
    fastnn.ops.relu(torch.ones(4))
    assert gpu.calls == []


def test_without_a_usable_device_cuda_tensors_are_refused():
    assert not fastnn.cuda.is_available()
    with pytest.raises(ValueError, match="is on device cuda:0, but "):
        fastnn.ops.relu(on_fake_gpu(torch.randn(8)))
    with pytest.raises(RuntimeError, match="no usable device|no CUDA module"):
        fastnn.cuda.module()


def test_linear_forward_and_backward_run_on_the_cuda_module(gpu):
    x, w, b = torch.randn(37, 20), torch.randn(9, 20), torch.randn(9)
    y = fastnn.ops.linear(on_fake_gpu(x), on_fake_gpu(w), on_fake_gpu(b))
    assert y.device == torch.device("cuda", 0)
    torch.testing.assert_close(torch.Tensor(y), torch.nn.functional.linear(x, w, b), rtol=1e-5, atol=1e-5)
    g = torch.randn(37, 9)
    gx, gw, gb = fastnn.ops.linear_backward(on_fake_gpu(g), on_fake_gpu(x), on_fake_gpu(w))
    torch.testing.assert_close(torch.Tensor(gx), g @ w, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(torch.Tensor(gw), g.t() @ x, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(torch.Tensor(gb), g.sum(0), rtol=1e-5, atol=1e-5)
    assert gpu.calls == [("matmul", STREAM), ("linear_backward", STREAM)]


def test_pooling_runs_on_the_cuda_module(gpu):
    cpu = torch.randn(2, 3, 8, 8)
    x = on_fake_gpu(cpu.clone())
    y = fastnn.ops.max_pool2d(x, 2)  # (indices are tested on the emulator directly: test_cuda_emu.py)
    torch.testing.assert_close(torch.Tensor(y), torch.nn.functional.max_pool2d(cpu, 2), rtol=0, atol=0)
    g = on_fake_gpu(torch.randn(2, 3, 4, 4))
    gx = fastnn.ops.max_pool2d_backward(g, x, 2)
    torch.testing.assert_close(torch.Tensor(gx), fastnn.ops.max_pool2d_backward(torch.Tensor(g), cpu, 2), rtol=0, atol=0)
    a = fastnn.ops.avg_pool2d(x, 2)
    torch.testing.assert_close(torch.Tensor(a), torch.nn.functional.avg_pool2d(cpu, 2), rtol=1e-6, atol=1e-6)
    fastnn.ops.avg_pool2d_backward(g, x, 2)
    assert [c for c, _ in gpu.calls] == ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]


def test_conv2d_runs_on_the_cuda_module(gpu):
    x, w, b = torch.randn(2, 3, 8, 8), torch.randn(4, 3, 3, 3), torch.randn(4)
    y = fastnn.ops.conv2d(on_fake_gpu(x), on_fake_gpu(w), on_fake_gpu(b), 1, 1)
    assert y.device == torch.device("cuda", 0)
    torch.testing.assert_close(torch.Tensor(y), torch.nn.functional.conv2d(x, w, b, 1, 1), rtol=1e-5, atol=1e-5)
    g = torch.randn(2, 4, 8, 8)
    gx, gw, gb = fastnn.ops.conv2d_backward(on_fake_gpu(g), on_fake_gpu(x), on_fake_gpu(w), 1, 1)
    want = fastnn.ops.conv2d_backward(g, x, w, 1, 1)
    for got, ref in zip((gx, gw, gb), want):
        torch.testing.assert_close(torch.Tensor(got), ref, rtol=1e-5, atol=1e-5)
    assert [c for c, _ in gpu.calls] == ["conv2d", "conv2d_backward"]
