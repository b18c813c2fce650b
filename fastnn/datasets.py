"""The seed workloads' data, without torchvision (it cannot be installed beside the pinned torch) and
without a network: readers for the real files when you have them, and stand-ins that ship or are generated.

* MNIST IDX files (``train-images-idx3-ubyte`` etc., optionally ``.gz``): :func:`read_idx`,
  :func:`load_mnist`.
* CIFAR-10 python batches (``data_batch_1`` .. ``_5``, ``test_batch``): :func:`read_cifar10_batch`,
  :func:`load_cifar10`. They are pickles, read by a restricted unpickler that admits only what a batch holds
  (dicts, lists, str, bytes, ints, numeric numpy arrays), so a crafted file cannot run code.
* scikit-learn's bundled 8x8 digits, upscaled to MNIST's 28x28: :func:`digits_28x28`.
* synthetic stand-ins: :func:`synthetic_cifar10`, :func:`synthetic_phone_prices`.

Everything returns numpy arrays: images float32 in [0, 1], (N, C, H, W); labels int64. A malformed or
truncated file raises ValueError naming the file and what is wrong with it; a missing one FileNotFoundError.
"""
from __future__ import annotations

import gzip
import io
import math
import os
import pickle
import struct
import zlib

import numpy as np

try:
    from numpy._core.multiarray import _reconstruct  # numpy >= 2
except ImportError:  # numpy 1.x
    from numpy.core.multiarray import _reconstruct

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"),
              0x0E: np.dtype(">f8")}


def _open(path):
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    return f"a {type(value).__name__}"


def read_idx(path) -> np.ndarray:
    """An IDX file (the MNIST format: magic 0x0000 <type> <ndim>, big-endian uint32 sizes, then the data),
    optionally gzipped. The data must fill exactly the sizes the header gives."""
    try:
        with _open(path) as f:
            raw = f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise ValueError(f"{path}: truncated or corrupt gzip stream ({e})") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (magic {raw[:4].hex()}, expected 0000<type><ndim>)")
    if raw[2] not in _IDX_TYPES:
        known = ", ".join(f"0x{code:02x}" for code in _IDX_TYPES)
        raise ValueError(f"{path}: unsupported IDX data type 0x{raw[2]:02x} (known: {known})")
    ndim, start = raw[3], 4 + 4 * raw[3]
    if len(raw) < start:
        raise ValueError(f"{path}: header cut short: {ndim} sizes need {start} bytes, the file has {len(raw)}")
    dims = struct.unpack_from(f">{ndim}I", raw, 4)
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = math.prod(dims) * dtype.itemsize
    if len(raw) - start != expected:
        raise ValueError(f"{path}: {len(raw) - start} bytes of data, the header's sizes {dims} promise {expected}")
    return np.frombuffer(raw, dtype, offset=start).reshape(dims).astype(dtype.newbyteorder("="))


def _find(directory, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{directory}: no {stem}[.gz]")


def load_mnist(directory):
    """(train_x, train_y, test_x, test_y) from MNIST's four IDX files in ``directory``; x (N, 1, H, W) (28x28
    for MNIST). Each images file must hold uint8 (N, H, W) and its labels file N integers."""
    def split(prefix):
        images_path = _find(directory, f"{prefix}-images-idx3-ubyte")
        labels_path = _find(directory, f"{prefix}-labels-idx1-ubyte")
        x, y = read_idx(images_path), read_idx(labels_path)
        if x.dtype != np.uint8 or x.ndim != 3:
            raise ValueError(f"{images_path}: {_describe(x)}, expected uint8 images (N, rows, cols)")
        if y.dtype.kind not in "iu" or y.ndim != 1:
            raise ValueError(f"{labels_path}: {_describe(y)}, expected a 1-d array of integer labels")
        if len(x) != len(y):
            raise ValueError(f"{images_path} holds {len(x)} images but {labels_path} holds {len(y)} labels")
        return (x.astype(np.float32) / 255.0)[:, None], y.astype(np.int64)

    return (*split("train"), *split("t10k"))


def has_mnist(directory) -> bool:
    try:
        _find(directory, "train-images-idx3-ubyte")
        return True
    except (FileNotFoundError, TypeError):
        return False


def _latin1_bytes(text, encoding):
    """Protocol 2 pickles written by Python 3 store bytes as _codecs.encode(str, 'latin1'): that call only."""
    if not isinstance(text, str) or encoding != "latin1":
        raise pickle.UnpicklingError(f"_codecs.encode is admitted only as (str, 'latin1'), got {encoding!r}")
    return text.encode("latin1")


def _empty_bytes():
    """... and b'' as bytes(), called with no arguments."""
    return b""


class _BatchUnpickler(pickle.Unpickler):
    """Unpickles what a CIFAR-10 batch holds and nothing else: the opcodes build dicts, lists, str, bytes and
    ints by themselves; the only globals admitted are those numpy's arrays pickle through (arrays from numpy 1
    name numpy.core, from numpy 2 numpy._core) and protocol 2's spelling of bytes. Any other global (os.system,
    builtins.eval, ...) is refused before it is looked up, so nothing in the file can run. The same idea as
    torch.load(weights_only=True); the arrays' dtypes are checked after loading (_check_arrays)."""

    SAFE_GLOBALS = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_bytes,
        ("__builtin__", "bytes"): _empty_bytes,
    }

    def find_class(self, module, name):
        try:
            return self.SAFE_GLOBALS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"forbidden global {module}.{name}: a CIFAR-10 batch holds only dicts, lists, str, bytes, ints "
                "and numeric numpy arrays") from None


def _check_arrays(obj, path):
    """Every numpy array in the unpickled ``obj`` has a bool, int, uint or float dtype (no object or structured
    arrays). Walks containers iteratively: a pickle can build a list that contains itself."""
    todo, seen = [obj], set()
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            if item.dtype.kind not in "biuf":
                raise ValueError(f"{path}: holds a numpy array of dtype {item.dtype}; only bool, int, uint and "
                                 "float arrays are allowed")
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            todo.extend(item)


def read_cifar10_batch(path):
    """One CIFAR-10 python batch (a pickled dict: b'data' uint8 (N, 3072), b'labels' N ints in 0..9, as a list
    or an integer array; other keys such as b'batch_label' and b'filenames' are ignored) as
    (x float32 (N, 3, 32, 32) in [0, 1], y int64 (N,))."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        batch = _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as e:  # a truncated or corrupt pickle fails in many ways; a forbidden global lands here too
        raise ValueError(f"{path}: cannot read it as a CIFAR-10 batch: {type(e).__name__}: {e}") from e
    _check_arrays(batch, path)
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: holds {_describe(batch)}, a CIFAR-10 batch is a dict")
    missing = [key for key in (b"data", b"labels") if key not in batch]
    if missing:
        raise ValueError(f"{path}: no {' or '.join(map(repr, missing))} key (keys: {', '.join(map(repr, batch))})")
    data = batch[b"data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path}: b'data' is {_describe(data)}, expected a uint8 array of shape (N, 3072)")
    labels = _cifar_labels(batch[b"labels"], path)
    if len(labels) != len(data):
        raise ValueError(f"{path}: {len(data)} images in b'data' but {len(labels)} labels")
    return data.reshape(-1, 3, 32, 32).astype(np.float32) / 255.0, labels


def _cifar_labels(labels, path):
    """b'labels' as int64: a list of ints (as in the real batches) or a 1-d integer array, each in 0..9."""
    if isinstance(labels, list) and all(type(v) is int for v in labels):
        outside = [v for v in labels if not 0 <= v <= 9]
    elif isinstance(labels, np.ndarray) and labels.dtype.kind in "iu" and labels.ndim == 1:
        outside = labels[(labels < 0) | (labels > 9)].tolist()
    else:
        raise ValueError(f"{path}: b'labels' is {_describe(labels)}, expected a list or 1-d array of ints")
    if outside:
        raise ValueError(f"{path}: {len(outside)} labels outside 0..9 (the first: {outside[0]})")
    return np.array(labels, np.int64)


def load_cifar10(directory):
    """(train_x, train_y, test_x, test_y) from CIFAR-10's python batches in ``directory``; x (N, 3, 32, 32)."""
    parts = [read_cifar10_batch(os.path.join(directory, f"data_batch_{i}")) for i in range(1, 6)]
    test_x, test_y = read_cifar10_batch(os.path.join(directory, "test_batch"))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), test_x, test_y


def has_cifar10(directory) -> bool:
    return directory is not None and os.path.exists(os.path.join(directory, "data_batch_1"))


def digits_28x28(test_fraction: float = 0.2, seed: int = 0):
    """scikit-learn's 1797 bundled 8x8 digits (0..16) as MNIST-like (N, 1, 28, 28) images in [0, 1]: each
    pixel becomes a 3x3 block (24x24), padded by 2; a seeded split into (train_x, train_y, test_x, test_y)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = np.kron(d.images.astype(np.float32) / 16.0, np.ones((3, 3), np.float32))
    x = np.pad(x, ((0, 0), (2, 2), (2, 2)))[:, None]
    y = d.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(len(y) * (1 - test_fraction))
    return x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]


def synthetic_cifar10(n_train: int = 5000, n_test: int = 1000, seed: int = 0):
    """A learnable stand-in for CIFAR-10: 10 random class templates (3, 32, 32) plus noise."""
    rng = np.random.default_rng(seed)
    templates = rng.uniform(0, 1, (10, 3, 32, 32)).astype(np.float32)

    def make(n):
        y = rng.integers(0, 10, n)
        x = 0.6 * templates[y] + 0.4 * rng.uniform(0, 1, (n, 3, 32, 32)).astype(np.float32)
        return x.astype(np.float32), y.astype(np.int64)

    return (*make(n_train), *make(n_test))


def synthetic_phone_prices(n: int = 2000, seed: int = 0):
    """A stand-in for the mobile price classification table: 20 standardized features (x, float32) and a
    price range 0..3 (y) driven mostly by 'ram' (feature 13) with battery and pixels, as in the real data."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 20)).astype(np.float32)
    score = 2.5 * x[:, 13] + 0.5 * x[:, 0] + 0.3 * x[:, 11] + 0.3 * x[:, 12] + 0.2 * rng.standard_normal(n)
    y = np.digitize(score, np.quantile(score, [0.25, 0.5, 0.75])).astype(np.int64)
    return x, y
