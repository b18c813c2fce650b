"""The seed workloads' data, without torchvision (it cannot be installed beside the pinned torch) and
without a network: readers for the real files when you have them, and stand-ins that ship or are generated.

* MNIST IDX files (``train-images-idx3-ubyte`` etc., optionally ``.gz``): :func:`read_idx`,
  :func:`load_mnist`.
* CIFAR-10 python batches (``data_batch_1`` .. ``_5``, ``test_batch``): :func:`load_cifar10`.
* scikit-learn's bundled 8x8 digits, upscaled to MNIST's 28x28: :func:`digits_28x28`.
* synthetic stand-ins: :func:`synthetic_cifar10`, :func:`synthetic_phone_prices`.

Everything returns numpy arrays: images float32 in [0, 1], (N, C, H, W); labels int64.
"""
from __future__ import annotations

import gzip
import os
import pickle
import struct

import numpy as np

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"),
              0x0E: np.dtype(">f8")}


def _open(path):
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def read_idx(path) -> np.ndarray:
    """An IDX file (the MNIST format: magic 0x0000 <type> <ndim>, big-endian sizes, then the data)."""
    with _open(path) as f:
        head = f.read(4)
        if len(head) != 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
            raise ValueError(f"{path}: not an IDX file (magic {head.hex()})")
        ndim = head[3]
        dims = struct.unpack(f">{ndim}I", f.read(4 * ndim))
        dtype = np.dtype(_IDX_TYPES[head[2]])
        count = int(np.prod(dims)) if dims else 1
        data = f.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise ValueError(f"{path}: {len(data)} bytes of data, the header promises {count * dtype.itemsize}")
    return np.frombuffer(data, dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _find(directory, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{directory}: no {stem}[.gz]")


def load_mnist(directory):
    """(train_x, train_y, test_x, test_y) from MNIST's four IDX files in ``directory``; x (N, 1, 28, 28)."""
    def images(stem):
        return (read_idx(_find(directory, stem)).astype(np.float32) / 255.0)[:, None]

    def labels(stem):
        return read_idx(_find(directory, stem)).astype(np.int64)

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def has_mnist(directory) -> bool:
    try:
        _find(directory, "train-images-idx3-ubyte")
        return True
    except (FileNotFoundError, TypeError):
        return False


def load_cifar10(directory):
    """(train_x, train_y, test_x, test_y) from CIFAR-10's python batches in ``directory``; x (N, 3, 32, 32)."""
    def batch(name):
        with open(os.path.join(directory, name), "rb") as f:
            d = pickle.load(f, encoding="bytes")
        x = np.asarray(d[b"data"], np.uint8).reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
        return x, np.asarray(d[b"labels"], np.int64)

    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    test_x, test_y = batch("test_batch")
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
