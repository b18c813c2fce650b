"""The output buffer cache (csrc/core/buffer_cache.h): large CPU torch outputs of fastnn.ops come from it,
are reused by later calls of the same size, behave as ordinary tensors, and the limit is honoured."""
import copy
import io
import os
import pickle
import threading

import numpy as np
import pytest
import torch

import fastnn
from fastnn import ops

BIG = (512, 1024)  # 2 MiB of float32: above the 1 MiB threshold


@pytest.fixture(autouse=True)
def restore_limit():
    before = fastnn.output_cache_info()["limit"]
    yield
    fastnn.set_output_cache_limit(before)


def test_outputs_are_reused_and_correct_after_reuse():
    x = torch.randn(BIG)
    y = ops.sigmoid(x)
    addr = y.data_ptr()
    del y
    hits = fastnn.output_cache_info()["hits"]
    x2 = torch.randn(BIG)
    y2 = ops.sigmoid(x2)
    assert fastnn.output_cache_info()["hits"] == hits + 1
    assert y2.data_ptr() == addr  # the freed buffer served the next output of that size
    torch.testing.assert_close(y2, torch.sigmoid(x2), rtol=1e-6, atol=0)
    small = ops.sigmoid(torch.randn(10, 10))  # small outputs: torch's allocator
    assert small.is_contiguous() and small.dtype == torch.float32


def test_cached_outputs_are_ordinary_tensors():
    x = torch.randn(BIG, dtype=torch.float64)
    y = ops.tanh(x)
    assert y.dtype == torch.float64 and y.shape == BIG and y.is_contiguous() and not y.requires_grad
    y.mul_(2).add_(1)  # in place
    torch.testing.assert_close(y, torch.tanh(x) * 2 + 1)
    torch.testing.assert_close(copy.deepcopy(y), y)
    torch.testing.assert_close(pickle.loads(pickle.dumps(y)), y)
    buf = io.BytesIO()
    torch.save({"y": y}, buf)
    buf.seek(0)
    torch.testing.assert_close(torch.load(buf)["y"], y)
    np.testing.assert_array_equal(y.numpy(), y.clone().numpy())
    z = y.clone()
    y.share_memory_()
    assert y.is_shared()
    torch.testing.assert_close(y, z)
    w = torch.randn(BIG, requires_grad=True)
    import fastnn.functional as F
    out = F.sigmoid(w)
    out.sum().backward()
    s = torch.sigmoid(w.detach())
    torch.testing.assert_close(w.grad, s * (1 - s), rtol=1e-6, atol=1e-7)


def test_limit_and_empty():
    fastnn.set_output_cache_limit(0)
    y = ops.relu(torch.randn(BIG))
    del y
    assert fastnn.output_cache_info()["cached"] == 0  # nothing kept idle with a zero limit
    fastnn.set_output_cache_limit(1 << 30)
    y = ops.relu(torch.randn(BIG))
    del y
    assert fastnn.output_cache_info()["cached"] >= 2 << 20
    fastnn.empty_output_cache()
    assert fastnn.output_cache_info()["cached"] == 0
    with pytest.raises(ValueError):
        fastnn.set_output_cache_limit(-1)


def test_threads_share_the_cache_safely():
    errors = []

    def work(seed):
        gen = torch.Generator().manual_seed(seed)
        for _ in range(20):
            x = torch.randn(BIG, generator=gen)
            try:
                torch.testing.assert_close(ops.sigmoid(x), torch.sigmoid(x), rtol=1e-6, atol=0)
            except AssertionError as e:
                errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_uses_and_frees_the_parents_buffers():
    kept = ops.relu(torch.randn(BIG))
    x = torch.randn(BIG)
    want = torch.relu(x)  # (in the parent: torch's OpenMP team does not survive fork, fastnn's pool does)
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            del kept  # a buffer the parent allocated, freed in the child
            ok = bool((ops.relu(x).numpy() == want.numpy()).all())  # (numpy: no torch OpenMP in the child)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert kept.min() >= 0
