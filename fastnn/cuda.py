"""CUDA availability. ``import fastnn`` never touches CUDA: the CUDA module is loaded here, on first use.

``fastnn._C_cuda`` is built when nvcc is found at build time (``FASTNN_CUDA=AUTO``, the default, or ``ON``),
links the CUDA runtime statically, and imports on machines without a driver; whether a device is usable
is asked of the runtime when first needed.
"""
from __future__ import annotations

import functools
import importlib


@functools.cache
def _status() -> tuple[object | None, str | None]:
    """(the CUDA module if a device is usable, else None; None or the reason why not)."""
    try:
        module = importlib.import_module("fastnn._C_cuda")
    except ImportError as e:
        return None, ("this fastnn build has no CUDA module (fastnn._C_cuda is built only when nvcc is found at "
                      f"build time and FASTNN_CUDA is not OFF): {e}")
    count, why = module.device_status()
    if count == 0:
        return None, f"fastnn's CUDA module found no usable device ({why})"
    return module, None


def is_available() -> bool:
    """Whether fastnn can run kernels on a CUDA device."""
    return _status()[0] is not None


def module():
    """fastnn._C_cuda, for fastnn.ops; raises RuntimeError with the reason when no device is usable."""
    m, why = _status()
    if m is None:
        raise RuntimeError(why)
    return m


def unavailable_reason() -> str | None:
    """Why :func:`is_available` is False, or None when it is True."""
    return _status()[1]
