"""fastnn: hand-written CPU SIMD (and CUDA) kernels for training neural networks.

Three ways in:
  * ``fastnn.ops``         array kernels on numpy arrays or torch tensors (no torch needed for numpy)
  * ``fastnn.functional``, ``fastnn.nn``, ``fastnn.optim``
                           drop-in replacements for torch.nn.functional / torch.nn / torch.optim
                           (also reachable as attributes after ``import fastnn``: imported on first access)
  * ``fastnn-bench``       the benchmark harness (bench/)

``import fastnn`` imports neither torch nor anything CUDA.
"""
from ._version import __version__

try:
    from . import _C
except ImportError as e:  # pragma: no cover - exercised only on a broken install
    import os as _os

    raise ImportError(
        "fastnn's native module fastnn._C could not be loaded "
        f"(package directory: {_os.path.dirname(__file__)}). If that is a source checkout, either run Python "
        "from another directory so that the installed fastnn is imported, or build the checkout for "
        "development: `pip install --no-build-isolation -e . -Cbuild-dir=build/dev`. "
        f"Original error: {e}"
    ) from e

from . import cuda, ops

# Probe the CPU now, so that a bad FASTNN_ISA fails at import with a clear message, not in the first op.
_C.cpu_info()


def cpu_info() -> dict:
    """The CPU fastnn runs on and the kernels it picked.

    Keys: ``vendor``, ``brand``, ``features`` (flag -> bool, already masked by what the OS saves),
    ``best_isa`` (highest level this CPU supports), ``isa`` (level in use: ``FASTNN_ISA`` caps it),
    ``forced`` (the ``FASTNN_ISA`` value or None), ``num_threads``, ``thread_backend`` (fastnn's pool, or
    the OpenMP team of the libgomp torch loaded), ``kernels`` (family -> kernel in use).
    """
    import os

    info = dict(_C.cpu_info())
    info["forced"] = os.environ.get("FASTNN_ISA") or None
    info["num_threads"] = _C.get_num_threads()
    info["thread_backend"] = _C.thread_backend()
    families = dict.fromkeys(k["family"] for k in _C.list_kernels())
    info["kernels"] = {f: _C.selected_kernel(f) for f in families}
    return info


def list_kernels() -> list[dict]:
    """Every registered kernel variant: family, name, ISA level it needs, and whether it can run here."""
    return [dict(k) for k in _C.list_kernels()]


def get_num_threads() -> int:
    """Threads fastnn's CPU kernels use (default: the CPUs this process may run on)."""
    return _C.get_num_threads()


def set_num_threads(n: int) -> None:
    """Set the number of threads of fastnn's CPU thread pool (n >= 1). torch's own pool is not touched."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"fastnn.set_num_threads: expected an int, got {type(n).__name__}")
    _C.set_num_threads(n)


def output_cache_info() -> dict:
    """The output buffer cache (large CPU torch outputs of fastnn.ops: see README, "Output memory"): its
    ``limit`` and the ``cached`` (idle) and ``live`` bytes, and the ``hits`` / ``misses`` of requests."""
    return dict(_C.output_cache_info())


def set_output_cache_limit(nbytes: int) -> None:
    """Keep at most ``nbytes`` idle bytes in the output buffer cache (0: none; default 1 GiB, or the
    FASTNN_OUTPUT_CACHE environment variable at import)."""
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 0:
        raise ValueError(f"fastnn.set_output_cache_limit: expected a byte count >= 0, got {nbytes!r}")
    _C.set_output_cache_limit(nbytes)


def empty_output_cache() -> None:
    """Return every idle buffer of the output cache to the OS."""
    _C.empty_output_cache()


# The drop-in namespaces, imported on first access (``fastnn.nn.Linear`` after ``import fastnn``, as
# ``torch.nn.Linear`` after ``import torch``): they import torch, which ``import fastnn`` alone must not.
_DROPIN = ("nn", "optim", "functional")


def __getattr__(name: str):
    if name in _DROPIN:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")  # files it on this module: asked once
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_DROPIN))


# (Without the drop-in namespaces: `from fastnn import *` must not import torch.)
__all__ = ["__version__", "cpu_info", "list_kernels", "get_num_threads", "set_num_threads", "output_cache_info",
           "set_output_cache_limit", "empty_output_cache", "ops", "cuda"]
