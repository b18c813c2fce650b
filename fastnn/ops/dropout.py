"""Inverted dropout on arrays: ``(y, mask)`` forward and ``dropout_backward(grad, mask, p)``.

The random stream is counter-based (csrc/ops/dropout.h): one 64-bit seed fixes the whole mask, whatever the
thread count. For torch tensors the seed is drawn from torch's generator (``torch.manual_seed`` makes the
masks reproducible; ``generator=`` takes a ``torch.Generator``), for numpy arrays from ``numpy.random``
(``generator=`` takes a ``numpy.random.Generator``); ``seed=`` fixes it directly. The mask is compact:
one bit per element, ``ceil(n / 8)`` uint8 bytes of the input's kind.
"""
from __future__ import annotations

import sys

import numpy as np

from . import _interop as io


def _check_p(op, p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _seed(x, generator):
    if isinstance(x, np.ndarray):
        rng = generator if generator is not None else np.random.default_rng()
        return int(rng.integers(0, 2**63 - 1))
    torch = sys.modules["torch"]
    # (drawn on the CPU, or on the generator's own device: one int64 either way)
    device = generator.device if generator is not None else "cpu"
    return int(torch.randint(0, 2**63 - 1, (), generator=generator, dtype=torch.int64, device=device).item())


def _mask(x, nbytes):
    if isinstance(x, np.ndarray):
        return np.zeros(nbytes, dtype=np.uint8)
    return sys.modules["torch"].zeros(nbytes, dtype=sys.modules["torch"].uint8, device=x.device)


def _address(m):
    if isinstance(m, np.ndarray):
        return m.ctypes.data if m.size else 0
    return m.data_ptr() if m.numel() else 0


def dropout(x, p: float = 0.5, *, seed: int | None = None, generator=None, out=None):
    """``(y, mask)``: y = x * keep / (1 - p), each element kept with probability 1 - p. ``p == 1`` zeroes
    everything (mask all zero). ``out`` may be ``x`` itself."""
    op = "fastnn.ops.dropout"
    _check_p(op, p)
    x = io.as_input(op, "input", x)
    out = io.empty_like(x) if out is None else io.as_output(op, "out", out, x, "input")
    n = int(x.size if isinstance(x, np.ndarray) else x.numel())
    mask = _mask(x, (n + 7) // 8)
    if p == 1.0:
        out[...] = 0
        return out, mask
    s = seed if seed is not None else _seed(x, generator)
    io.call(op, "dropout", (x, out), None, (_address(mask), float(p), int(s) & (2**64 - 1)))
    return out, mask


def dropout_backward(grad_output, mask, p: float = 0.5, *, out=None):
    """``grad_output * keep / (1 - p)`` with the mask :func:`dropout` returned."""
    op = "fastnn.ops.dropout_backward"
    _check_p(op, p)
    g = io.as_input(op, "grad_output", grad_output)
    n = int(g.size if isinstance(g, np.ndarray) else g.numel())
    m_n = int(mask.size if isinstance(mask, np.ndarray) else mask.numel())
    if m_n != (n + 7) // 8 or str(getattr(mask, "dtype", "")).removeprefix("torch.") != "uint8":
        raise ValueError(f"{op}: mask must be the {(n + 7) // 8} uint8 bytes dropout returned for {n} elements")
    if isinstance(mask, np.ndarray) != isinstance(g, np.ndarray) or (
            not isinstance(g, np.ndarray) and mask.device != g.device):
        where = "a numpy array" if isinstance(mask, np.ndarray) else f"on {mask.device}"
        raise ValueError(f"{op}: mask is {where}, but grad_output is "
                         f"{'a numpy array' if isinstance(g, np.ndarray) else 'on ' + str(g.device)}")
    # The kernel reads the mask's bytes from its address: any other layout (a negative-stride or sliced numpy
    # view: found by the bad-input matrix, it read the wrong bytes) is copied to contiguous first.
    if isinstance(mask, np.ndarray):
        mask = np.ascontiguousarray(mask)
    elif not mask.is_contiguous():
        mask = mask.contiguous()
    out = io.empty_like(g) if out is None else io.as_output(op, "out", out, g, "grad_output")
    if p == 1.0:
        out[...] = 0
        return out
    io.call(op, "dropout_backward", (g, out), None, (_address(mask), float(p)))
    return out
