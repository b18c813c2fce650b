"""Tensors past 2^31 elements (8 GiB of float32) and GEMM operands past 2^31 bytes: the index math is 64-bit.

Each test fills a huge tensor with a cheap known pattern, plants distinct values past index 2^31 and
checks them (a 32-bit index would wrap onto the start, or crash). Marked slow; CI runs them (about
20 s and 11 GiB at most, one test at a time). They skip when the machine lacks the memory.
"""
import gc

import numpy as np
import pytest
import torch

import fastnn.ops as ops

BIG = 2**31 + 1000  # elements


def _have_gib(n):
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) for line in f}
        return info["MemAvailable"] * 1024 > n * 2**30
    except OSError:
        return False


pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _collect():
    yield
    gc.collect()


@pytest.mark.skipif(not _have_gib(10), reason="needs 10 GiB of free memory")
def test_elementwise_in_place_past_2_31_elements():
    x = torch.full((BIG,), -1.0)
    tail = torch.tensor([3.0, -2.0, 5.0, -7.0])
    x[-4:] = tail
    x[2**31 - 2: 2**31 + 2] = torch.tensor([4.0, -4.0, 6.0, -6.0])
    ops.relu_(x)
    assert torch.equal(x[-4:], torch.relu(tail))
    assert torch.equal(x[2**31 - 2: 2**31 + 2], torch.tensor([4.0, 0.0, 6.0, 0.0]))
    assert x[0].item() == 0.0 and x[2**30].item() == 0.0
    ops.sigmoid_(x)
    torch.testing.assert_close(x[-4:], torch.sigmoid(torch.relu(tail)))
    assert x[12345].item() == 0.5


@pytest.mark.skipif(not _have_gib(12), reason="needs 12 GiB of free memory")
def test_max_and_avg_pool_past_2_31_elements():
    h, w = 32768, 32770  # 2 channels: 2 * h * w > 2^31
    x = torch.zeros(1, 2, h, w)
    assert x.numel() > 2**31
    # the last 2x2 window of channel 1 (elements past 2^31) and one at the channel start
    x[0, 1, -2:, -2:] = torch.tensor([[1.0, 9.0], [-3.0, 2.0]])
    x[0, 1, :2, :2] = torch.tensor([[-1.0, -5.0], [7.0, 0.5]])
    y = ops.max_pool2d(x, 2)
    assert y.shape == (1, 2, h // 2, w // 2)
    assert y[0, 1, -1, -1].item() == 9.0 and y[0, 1, 0, 0].item() == 7.0 and y[0, 0, -1, -1].item() == 0.0
    del y
    z = ops.avg_pool2d(x, 2)
    assert z[0, 1, -1, -1].item() == pytest.approx(9.0 / 4) and z[0, 1, 0, 0].item() == pytest.approx(1.5 / 4)
    del z
    g = torch.ones(1, 2, h // 2, w // 2)
    gx = ops.max_pool2d_backward(g, x, 2)
    assert gx[0, 1, -2, -1].item() == 1.0 and gx[0, 1, -1, -1].item() == 0.0 and gx[0, 1, 1, 0].item() == 1.0


@pytest.mark.skipif(not _have_gib(4), reason="needs 4 GiB of free memory")
def test_gemm_rows_past_2_31_bytes():
    m, k, n = 600_000, 1024, 16  # A is 2.4 GB: its last rows lie past 2^31 bytes from its start
    a = torch.empty(m, k)
    a[:, :] = torch.arange(k, dtype=torch.float32) % 7 - 3
    rows = torch.tensor([0, 1, m // 2, 524_289, m - 2, m - 1])  # 524289 * 4 KiB > 2^31 bytes
    a[rows] = torch.randn(len(rows), k)
    b = torch.randn(k, n)
    c = ops.matmul(a, b)
    torch.testing.assert_close(c[rows], a[rows] @ b, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(c[12345], a[12345] @ b, rtol=1e-4, atol=1e-3)
    y = ops.linear(a, b.t().contiguous())
    torch.testing.assert_close(y[rows], a[rows] @ b, rtol=1e-4, atol=1e-3)


@pytest.mark.skipif(not _have_gib(10), reason="needs 10 GiB of free memory")
def test_numpy_elementwise_past_2_31_elements():
    x = np.full(BIG, -2.0, dtype=np.float32)
    x[-3:] = [1.0, -1.0, 2.0]
    v = x[-(2**31 + 10):]  # a view starting 990 elements in: still > 2^31 long
    ops.leaky_relu_(v, 0.5)
    np.testing.assert_array_equal(x[-3:], [1.0, -0.5, 2.0])
    assert v[0] == -1.0 and x[989] == -2.0 and x[990] == -1.0
