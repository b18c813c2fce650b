"""No leaks: every public op (tests/op_registry.py) called in a loop leaves neither Python objects nor native
heap memory behind. Native memory is glibc's count of bytes in use (mallinfo2), which sees a leaked
DLPack capsule, a pybind11 object or a kernel's scratch allocation that the Python side cannot; the C++
kernels themselves run under LeakSanitizer in CI (.ci/run, the ASan build).
"""
import ctypes
import ctypes.util
import gc
import sys

import pytest
import torch

import fastnn
import fastnn.functional as F
import fastnn.ops as ops
from op_registry import FUNCTIONAL, OPS


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallinfo2.restype = _MallInfo2
        return libc
    except (OSError, AttributeError):
        return None


LIBC = _libc()


def _heap_in_use() -> int:
    info = LIBC.mallinfo2()
    return info.uordblks + info.hblkhd  # small/medium chunks in use + mmap'd chunks


def _footprint():
    gc.collect()
    return sys.getallocatedblocks(), _heap_in_use()


def _loop(call, n):
    for _ in range(n):
        call()


def _check_no_growth(call, what, rounds=300, warmup=30):
    """A leak of one object or one allocation per call grows every round by >= `rounds`. Python and torch
    warm some caches and free lists up over the first thousand or so autograd calls (measured: ~+1 block per
    call, then about 0, with a pure-torch autograd.Function too): hence `warmup`, and the least growth of
    three rounds counts. gc.freeze() keeps the collections quick (torch's objects are not scanned)."""
    _loop(call, warmup)  # first-use tables, the output buffer cache, free lists
    gc.collect()
    gc.freeze()
    try:
        blocks, heap = [], []
        for _ in range(3):
            b0, h0 = _footprint()
            _loop(call, rounds)
            b1, h1 = _footprint()
            blocks.append(b1 - b0)
            heap.append(h1 - h0)
    finally:
        gc.unfreeze()
    assert min(blocks) < rounds // 3, f"{what}: Python blocks grew by {blocks} in three rounds of {rounds} calls"
    assert min(heap) < 16 * rounds, f"{what}: heap bytes in use grew by {heap} in three rounds of {rounds} calls"


pytestmark = pytest.mark.skipif(LIBC is None, reason="needs glibc's mallinfo2")


@pytest.mark.parametrize("name", list(OPS))
def test_ops_do_not_leak(name):
    torch.manual_seed(0)
    args, kwargs = OPS[name].make()

    def call():
        a = [[t.clone() for t in v] if isinstance(v, list) and v and isinstance(v[0], torch.Tensor)
             else v.clone() if isinstance(v, torch.Tensor) else v for v in args]
        getattr(ops, name)(*a, **kwargs)

    _check_no_growth(call, name)


@pytest.mark.parametrize("name", [n for n in FUNCTIONAL if not FUNCTIONAL[n].inplace])
def test_functional_forward_backward_do_not_leak(name):
    torch.manual_seed(0)
    args, kwargs = FUNCTIONAL[name].make()

    def call():
        x = args[0].clone().requires_grad_()
        out = getattr(F, name)(x, *args[1:], **kwargs)
        (out[0] if isinstance(out, tuple) else out).sum().backward()

    _check_no_growth(call, name, rounds=200, warmup=1500)


def test_large_outputs_return_to_the_cache():
    """Outputs of >= 1 MiB come from fastnn's buffer cache: freeing them must give the buffers back."""
    x = torch.randn(1 << 20)

    def call():
        fastnn.ops.relu(x)
        fastnn.ops.softmax(x.view(1024, 1024), 1)

    _check_no_growth(call, "large outputs", rounds=100)
    info = fastnn.output_cache_info()
    assert info["live"] == 0 and info["hits"] > 0, info


def test_the_check_catches_leaks():
    """The check itself: one leaked Python object, or 32 leaked heap bytes, per call is reported."""
    kept = []
    with pytest.raises(AssertionError, match="Python blocks grew"):
        _check_no_growth(lambda: kept.append(object()), "python leak", rounds=200)
    LIBC.malloc.restype = ctypes.c_void_p

    def native_leak():
        LIBC.malloc(32)  # the pointer is dropped: nothing on the Python side grows

    with pytest.raises(AssertionError, match="heap bytes"):
        _check_no_growth(native_leak, "native leak", rounds=200)
