"""Arrays in and out of the native kernels: validation, zero-copy views, output allocation.

numpy arrays and torch CPU tensors are passed to ``fastnn._C`` as view descriptors
``(data_ptr, dtype, shape, strides_in_elements, device, device_index, readonly)`` without copying.
Inputs that are not C-contiguous (transposed, sliced, negative or zero strides) or not aligned to
their element size are copied to a contiguous array first; outputs are always C-contiguous arrays
of the same kind as the inputs (numpy in, numpy out; torch in, torch out).

torch is never imported here: a torch tensor can only exist if torch was already imported.
"""
from __future__ import annotations

import sys

import numpy as np

from .. import _C, cuda

SUPPORTED_DTYPES = ("float32", "float64")

# Outputs at least this large get a transparent-huge-page hint before the kernel first touches them
# (numpy does the same for its own arrays; torch's allocator does not unless THP_MEM_ALLOC_ENABLE=1).
HUGE_PAGE_MIN_BYTES = 4 << 20


def _torch():
    return sys.modules.get("torch")


def is_tensor(x) -> bool:
    torch = _torch()
    return torch is not None and isinstance(x, torch.Tensor)


def _dtype_name(x) -> str:
    if isinstance(x, np.ndarray):
        return x.dtype.name if x.dtype.isnative else f"{x.dtype.str} (non-native byte order)"
    return str(x.dtype).removeprefix("torch.")


def _type_name(x) -> str:
    t = type(x)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def check_array(op: str, name: str, x) -> None:
    """Raise TypeError/ValueError unless x is a numpy array or a CPU torch tensor of a supported dtype."""
    if isinstance(x, np.ndarray):
        pass
    elif is_tensor(x):
        torch = _torch()
        if x.layout != torch.strided:
            raise TypeError(f"{op}: argument '{name}' must be a dense (strided) tensor, got layout {x.layout}")
        if x.device.type == "cuda":
            raise ValueError(
                f"{op}: argument '{name}' is on device {x.device}, but {cuda.unavailable_reason()}; "
                "move it to the CPU or use torch's op"
            )
        if x.device.type != "cpu":
            raise ValueError(f"{op}: argument '{name}' must be on the CPU, got device {x.device}")
    else:
        raise TypeError(f"{op}: argument '{name}' must be a numpy.ndarray or a torch.Tensor, got {_type_name(x)}")
    dt = _dtype_name(x)
    if dt not in SUPPORTED_DTYPES:
        raise TypeError(f"{op}: argument '{name}' has dtype {dt}; expected one of {', '.join(SUPPORTED_DTYPES)}")


def _is_c_aligned(x) -> bool:
    if isinstance(x, np.ndarray):
        return x.flags.c_contiguous and x.flags.aligned
    return x.is_contiguous() and x.data_ptr() % x.element_size() == 0


def as_input(op: str, name: str, x):
    """Validated x, or a C-contiguous aligned copy of it when the kernels cannot read it in place."""
    check_array(op, name, x)
    if _is_c_aligned(x):
        return x
    if isinstance(x, np.ndarray):
        return np.require(x, requirements="CA")
    return x.clone(memory_format=_torch().contiguous_format)


def same_kind(op: str, names: tuple[str, ...], *arrays) -> None:
    """All arguments are numpy arrays, or all are torch tensors, of one dtype."""
    first = arrays[0]
    for name, a in zip(names[1:], arrays[1:]):
        if isinstance(a, np.ndarray) != isinstance(first, np.ndarray):
            raise TypeError(
                f"{op}: argument '{name}' is a {_type_name(a)} but '{names[0]}' is a {_type_name(first)}; "
                "pass all numpy arrays or all torch tensors"
            )
        if _dtype_name(a) != _dtype_name(first):
            raise TypeError(
                f"{op}: argument '{name}' has dtype {_dtype_name(a)} but '{names[0]}' has {_dtype_name(first)}"
            )
        if tuple(a.shape) != tuple(first.shape):
            raise ValueError(
                f"{op}: argument '{name}' has shape {tuple(a.shape)} but '{names[0]}' has {tuple(first.shape)}"
            )


def check_writable(op: str, name: str, x) -> None:
    """x may be written by a kernel: writable, and not a tensor whose autograd history would be bypassed."""
    if isinstance(x, np.ndarray):
        if not x.flags.writeable:
            raise ValueError(f"{op}: argument '{name}' is a read-only numpy array")
        return
    torch = _torch()
    if x.requires_grad and torch.is_grad_enabled():
        raise RuntimeError(
            f"{op}: argument '{name}' requires grad; fastnn.ops writes without recording autograd "
            "(use fastnn.functional, or torch.no_grad())"
        )


def as_output(op: str, name: str, out, like, like_name: str):
    """Validate a caller-supplied out= against the input `like` (same kind, dtype, shape; contiguous)."""
    check_array(op, name, out)
    same_kind(op, (like_name, name), like, out)
    if not _is_c_aligned(out):
        raise ValueError(f"{op}: argument '{name}' must be C-contiguous and aligned (fastnn writes it in place)")
    check_writable(op, name, out)
    return out


def empty_like(x):
    """A new C-contiguous array of x's kind, shape and dtype."""
    if isinstance(x, np.ndarray):
        return np.empty(x.shape, dtype=x.dtype)
    out = _torch().empty(x.shape, dtype=x.dtype, device=x.device)
    nbytes = out.numel() * out.element_size()
    if nbytes >= HUGE_PAGE_MIN_BYTES:
        _C.advise_huge_pages(out.data_ptr(), nbytes)
    return out


def view(x) -> tuple:
    """The descriptor fastnn._C takes for an array validated by check_array."""
    if isinstance(x, np.ndarray):
        item = x.itemsize
        return (
            x.__array_interface__["data"][0],
            x.dtype.name,
            x.shape,
            tuple(s // item for s in x.strides),
            "cpu",
            0,
            not x.flags.writeable,
        )
    return (x.data_ptr(), _dtype_name(x), tuple(x.shape), x.stride(), x.device.type, x.device.index or 0, False)


def write_back(dst, src) -> None:
    """Copy src into dst (in-place ops on arrays the kernels could not write directly)."""
    if isinstance(dst, np.ndarray):
        np.copyto(dst, src)
    else:
        dst.copy_(src)
