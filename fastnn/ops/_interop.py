"""Arrays in and out of the native kernels: validation, zero-copy views, output allocation.

numpy arrays reach ``fastnn._C`` as themselves (the C++ side reads them through the buffer protocol);
torch tensors as a view descriptor ``(data_ptr, dtype, shape, strides_in_elements, device,
device_index, readonly)``. Neither is copied. CPU arrays run on ``fastnn._C``; torch CUDA tensors (when
``fastnn.cuda.is_available()``) on ``fastnn._C_cuda``, on torch's current stream of their device. Inputs that are not C-contiguous (transposed, sliced,
negative or zero strides) or not aligned to their element size are copied to a contiguous array first;
outputs are C-contiguous arrays of the inputs' kind (numpy in, numpy out; torch in, torch out).

This runs on every call, so the common case costs a few attribute reads and dict lookups; the
messages of the error paths are built only when they are raised. torch is never imported here: a
torch tensor can only exist if torch was already imported.
"""
from __future__ import annotations

import sys

import numpy as np

from .. import _C, cuda

SUPPORTED_DTYPES = ("float32", "float64")
_NUMPY_DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}  # native byte order only
_TORCH_DTYPES: dict = {}  # torch.dtype -> name, filled when the first tensor arrives

# CPU tensor outputs at least this large come from fastnn's output buffer cache (csrc/core/buffer_cache.h:
# mapped once with the huge-page hint, reused by later calls of the same size, so not page-faulted again:
# a fresh 64 MiB output costs more than the memory-bound kernel that fills it). Smaller ones come from
# torch's allocator, whose heap recycles them already mapped (wrapping costs ~3 us: more than it saves).
CACHED_OUTPUT_MIN_BYTES = 1 << 20


def _torch_dtypes(torch) -> dict:
    if not _TORCH_DTYPES:
        _TORCH_DTYPES.update({torch.float32: "float32", torch.float64: "float64"})
    return _TORCH_DTYPES


def _type_name(x) -> str:
    t = type(x)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _dtype_name(x) -> str:
    if isinstance(x, np.ndarray):
        return x.dtype.name if x.dtype.isnative else f"{x.dtype.str} (non-native byte order)"
    return str(x.dtype).removeprefix("torch.")


def _tensor_class(x):
    """torch.Tensor if x is one (torch already imported), else None."""
    torch = sys.modules.get("torch")
    return torch if torch is not None and isinstance(x, torch.Tensor) else None


def _raise_unsupported(op: str, name: str, x):
    torch = _tensor_class(x)
    if not isinstance(x, np.ndarray) and torch is None:
        raise TypeError(f"{op}: argument '{name}' must be a numpy.ndarray or a torch.Tensor, got {_type_name(x)}")
    if torch is not None and x.layout is not torch.strided:
        raise TypeError(f"{op}: argument '{name}' must be a dense (strided) tensor, got layout {x.layout}")
    if torch is not None and not (x.is_cpu or _usable_cuda(x)):
        if x.device.type == "cuda":
            raise ValueError(f"{op}: argument '{name}' is on device {x.device}, but {cuda.unavailable_reason()}; "
                             "move it to the CPU or use torch's op")
        raise ValueError(f"{op}: argument '{name}' must be on the CPU or a CUDA device, got device {x.device}")
    raise TypeError(f"{op}: argument '{name}' has dtype {_dtype_name(x)}; expected one of {', '.join(SUPPORTED_DTYPES)}")


def _usable_cuda(x) -> bool:
    return x.device.type == "cuda" and cuda.is_available()


def as_input(op: str, name: str, x):
    """x validated, or a C-contiguous aligned copy of it when the kernels cannot read it in place."""
    if isinstance(x, np.ndarray):
        if x.dtype not in _NUMPY_DTYPES:
            _raise_unsupported(op, name, x)
        if x.flags.c_contiguous and x.flags.aligned:
            return x
        return np.require(x, requirements="CA")
    torch = _tensor_class(x)
    if (torch is None or x.layout is not torch.strided or x.dtype not in _torch_dtypes(torch)
            or not (x.is_cpu or _usable_cuda(x))):
        _raise_unsupported(op, name, x)
    if x.is_contiguous() and x.data_ptr() % x.element_size() == 0:
        return x
    return x.clone(memory_format=torch.contiguous_format)


def as_matrix(op: str, name: str, x, ndim: int = 2):
    """x validated as an `ndim`-d operand of a matrix kernel, which reads any strides in place (transposed,
    sliced, expanded, negative): only arrays that are misaligned, or CUDA tensors with no unit stride, are copied."""
    x = _validated(op, name, x)
    if x.ndim != ndim:
        raise ValueError(f"{op}: argument '{name}' must be {ndim}-dimensional, got shape {tuple(x.shape)}")
    if isinstance(x, np.ndarray):
        if x.flags.aligned and all(s % x.itemsize == 0 for s in x.strides):
            return x
        return np.require(x, requirements="CA")
    if x.data_ptr() % x.element_size() == 0 and (x.is_cpu or 1 in x.stride() or x.numel() <= 1):
        return x
    return x.clone(memory_format=sys.modules["torch"].contiguous_format)


def _validated(op: str, name: str, x):
    if isinstance(x, np.ndarray):
        if x.dtype not in _NUMPY_DTYPES:
            _raise_unsupported(op, name, x)
        return x
    torch = _tensor_class(x)
    if (torch is None or x.layout is not torch.strided or x.dtype not in _torch_dtypes(torch)
            or not (x.is_cpu or _usable_cuda(x))):
        _raise_unsupported(op, name, x)
    return x


def _cached_cpu_tensor(shape, dtype):
    """A new CPU tensor from fastnn's output buffer cache (csrc/core/buffer_cache.h), or None below its size."""
    n = 1
    for d in shape:
        n *= int(d)
    if n * dtype.itemsize < CACHED_OUTPUT_MIN_BYTES:
        return None
    torch = sys.modules["torch"]
    return torch.from_dlpack(_C.cached_empty(list(shape), _torch_dtypes(torch)[dtype]))


def empty(like, shape):
    """A new C-contiguous array of like's kind, dtype (and device) with the given shape."""
    if isinstance(like, np.ndarray):
        return np.empty(shape, dtype=like.dtype)
    if like.is_cpu and like.dtype in _torch_dtypes(sys.modules["torch"]):
        out = _cached_cpu_tensor(shape, like.dtype)
        if out is not None:
            return out
    return like.new_empty(shape)


def check_like(op: str, name: str, x, like, like_name: str) -> None:
    """x (already validated) is of like's kind, device, dtype and shape."""
    check_compatible(op, name, x, like, like_name)
    if x.shape != like.shape:
        raise ValueError(f"{op}: argument '{name}' has shape {tuple(x.shape)} but '{like_name}' has {tuple(like.shape)}")


def check_compatible(op: str, name: str, x, like, like_name: str) -> None:
    """x (already validated) is of like's kind, device and dtype."""
    if isinstance(x, np.ndarray) != isinstance(like, np.ndarray):
        raise TypeError(f"{op}: argument '{name}' is a {_type_name(x)} but '{like_name}' is a {_type_name(like)}; "
                        "pass all numpy arrays or all torch tensors")
    if not isinstance(x, np.ndarray) and x.device != like.device:
        raise RuntimeError(f"{op}: argument '{name}' is on device {x.device} but '{like_name}' is on device "
                           f"{like.device}; all arguments must be on one device")
    if x.dtype != like.dtype:
        raise TypeError(f"{op}: argument '{name}' has dtype {_dtype_name(x)} but '{like_name}' has {_dtype_name(like)}")


def check_writable(op: str, name: str, x) -> None:
    """x may be written by a kernel: writable, not a tensor whose autograd history would be bypassed, and not
    an expanded view (whose elements share memory: torch refuses to write those too)."""
    if isinstance(x, np.ndarray):
        if not x.flags.writeable:
            raise ValueError(f"{op}: argument '{name}' is a read-only numpy array")
        return
    if x.requires_grad and sys.modules["torch"].is_grad_enabled():
        raise RuntimeError(f"{op}: argument '{name}' requires grad; fastnn.ops writes without recording autograd "
                           "(use fastnn.functional, or torch.no_grad())")
    if 0 in x.stride() and any(st == 0 and n > 1 for n, st in zip(x.shape, x.stride())):
        raise RuntimeError(f"{op}: argument '{name}' is an expanded view whose elements share memory; it cannot be "
                           "written in place (clone it first)")


def as_output(op: str, name: str, out, like, like_name: str):
    """A caller's out=: like's kind, dtype and shape, C-contiguous, aligned and writable."""
    if as_input(op, name, out) is not out:
        raise ValueError(f"{op}: argument '{name}' must be C-contiguous and aligned (fastnn writes it in place)")
    check_like(op, name, out, like, like_name)
    check_writable(op, name, out)
    return out


def empty_like(x):
    """A new C-contiguous array of x's kind, shape, dtype (and device)."""
    if isinstance(x, np.ndarray):
        return np.empty(x.shape, dtype=x.dtype)
    torch = sys.modules["torch"]
    if x.is_cpu and x.dtype in _torch_dtypes(torch):
        out = _cached_cpu_tensor(x.shape, x.dtype)
        if out is not None:
            return out
    return torch.empty_like(x, memory_format=torch.contiguous_format)


def view(x):
    """What fastnn._C takes for an array that passed as_input: numpy arrays as they are, tensors as a descriptor
    (None, for an absent optional array, as itself)."""
    if x is None or isinstance(x, np.ndarray):
        return x
    name = (_TORCH_DTYPES or _torch_dtypes(sys.modules["torch"]))[x.dtype]
    if x.is_cpu:
        return (x.data_ptr(), name, x.shape, x.stride(), "cpu", 0, False)
    return (x.data_ptr(), name, x.shape, x.stride(), "cuda", x.device.index or 0, False)


def current_stream(device) -> int:
    """The handle of torch's current CUDA stream on `device` (kernels must run on it, not the default)."""
    return sys.modules["torch"].cuda.current_stream(device).cuda_stream


def call(op: str, fn: str, arrays: tuple, kernel: str | None, args: tuple = ()):
    """Run native function `fn` on `arrays` (validated, one device; None for an absent optional array),
    then `args`: fastnn._C for CPU arrays, where `kernel` may force a registered variant; fastnn._C_cuda
    on torch's current stream for CUDA tensors."""
    first = arrays[0]
    views = [view(a) for a in arrays]
    if isinstance(first, np.ndarray) or first.is_cpu:
        return getattr(_C, fn)(*views, *args, kernel or "")
    if kernel:
        raise ValueError(f"{op}: kernel={kernel!r} selects a CPU kernel variant, but the arrays are on {first.device}")
    return getattr(cuda.module(), fn)(*views, *args, current_stream(first.device))


def write_back(dst, src) -> None:
    """Copy src into dst (in-place ops on arrays the kernels could not write directly)."""
    if isinstance(dst, np.ndarray):
        np.copyto(dst, src)
    else:
        dst.copy_(src)
