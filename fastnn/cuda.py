"""CUDA availability. ``import fastnn`` never touches CUDA: the CUDA module is loaded here, on first use.

``fastnn._C_cuda`` is built when nvcc is found at build time (``FASTNN_CUDA=AUTO``, the default, or ``ON``),
links the CUDA runtime statically, and imports on machines without a driver; whether a device is usable
is asked of the runtime when first needed.
"""
from __future__ import annotations

import ctypes
import functools
import importlib
import sys


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
        # Without libcuda the statically linked runtime answers "CUDA driver version is insufficient for CUDA
        # runtime version", the same as for a driver that is too old: tell the two apart here.
        missing = _driver_load_error()
        if missing is not None:
            why = f"no NVIDIA driver was found; loading {_DRIVER_LIBRARY} failed: {missing}"
        return None, f"fastnn's CUDA module found no usable device ({why})"
    return module, None


_DRIVER_LIBRARY = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"  # the driver's user-space library


def _driver_load_error() -> str | None:
    """None if the NVIDIA driver's library loads, else the loader's reason."""
    try:
        ctypes.CDLL(_DRIVER_LIBRARY)
    except OSError as e:
        return str(e)
    return None


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
