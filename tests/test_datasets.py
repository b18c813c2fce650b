"""fastnn.datasets on small files written here: the readers load well-formed MNIST IDX files and CIFAR-10
batches exactly, refuse pickles that would run code without running them, and turn every malformed or
truncated file into a ValueError naming the file and the fault; and the stand-ins have the promised shapes."""
import builtins
import gzip
import os
import pickle
import shlex
import struct

import numpy as np
import pytest

from fastnn import datasets


# ------------------------------------------------------------------------------------------------ MNIST IDX

def _write(path, raw, gz=False):
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(raw)


def _idx_bytes(array):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}
    return bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.tobytes()


def _write_mnist(directory, n_train=7, n_test=3, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    files = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        files[split] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)
        sx = ".gz" if gz else ""
        _write(directory / f"{split}-images-idx3-ubyte{sx}", _idx_bytes(files[split][0]), gz)
        _write(directory / f"{split}-labels-idx1-ubyte{sx}", _idx_bytes(files[split][1]), gz)
    return files


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_reader_and_loader(tmp_path, gz):
    files = _write_mnist(tmp_path, gz=gz)
    assert datasets.has_mnist(str(tmp_path))
    tx, ty, vx, vy = datasets.load_mnist(str(tmp_path))
    assert tx.shape == (7, 1, 28, 28) and tx.dtype == np.float32 and vx.shape == (3, 1, 28, 28)
    np.testing.assert_array_equal(tx[:, 0], files["train"][0].astype(np.float32) / 255)
    np.testing.assert_array_equal(vy, files["t10k"][1])
    assert ty.dtype == np.int64
    _write(tmp_path / "wide.idx", _idx_bytes(np.arange(6, dtype=">i4").reshape(2, 3)))
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "wide.idx"), [[0, 1, 2], [3, 4, 5]])


HEAD_1D = bytes([0, 0, 0x08, 1]) + struct.pack(">I", 5)       # uint8, one dimension of 5

BAD_IDX = {                                                     # file contents -> what the error says
    "wrong magic": (b"\x12\x34\x08\x01" + struct.pack(">I", 5) + b"abcde", "not an IDX file"),
    "empty": (b"", "not an IDX file"),
    "dtype code 0x0a": (bytes([0, 0, 0x0A, 1]) + struct.pack(">I", 5) + b"abcde", "unsupported IDX data type 0x0a"),
    "header shorter than its dims": (bytes([0, 0, 0x08, 3]) + struct.pack(">I", 28), "header cut short"),
    "data short": (HEAD_1D + b"abcd", "4 bytes of data, the header's sizes \\(5,\\) promise 5"),
    "data long": (HEAD_1D + b"abcdef", "6 bytes of data, the header's sizes \\(5,\\) promise 5"),
    "int32 data not a multiple": (bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 2) + b"\0" * 7, "7 bytes of data"),
}


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("case", BAD_IDX)
def test_idx_reader_rejects_malformed_files(tmp_path, case, gz):
    raw, message = BAD_IDX[case]
    path = tmp_path / ("bad.gz" if gz else "bad")
    _write(path, raw, gz)
    with pytest.raises(ValueError, match=message) as info:
        datasets.read_idx(path)
    assert str(path) in str(info.value)


def test_idx_reader_rejects_truncated_and_corrupt_gzip(tmp_path):
    whole = gzip.compress(HEAD_1D + b"abcde")
    for name, raw in (("cut.gz", whole[:-6]), ("half.gz", whole[:len(whole) // 2]), ("plain.gz", HEAD_1D + b"abcde"),
                      ("crc.gz", whole[:-8] + bytes(8))):
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(ValueError, match="truncated or corrupt gzip stream") as info:
            datasets.read_idx(tmp_path / name)
        assert name in str(info.value)


def test_load_mnist_rejects_mismatched_or_misshapen_files(tmp_path):
    _write_mnist(tmp_path)
    labels = tmp_path / "train-labels-idx1-ubyte"
    _write(labels, _idx_bytes(np.zeros(6, np.uint8)))                      # 7 images, 6 labels
    with pytest.raises(ValueError, match="holds 7 images but .*train-labels-idx1-ubyte holds 6 labels"):
        datasets.load_mnist(str(tmp_path))
    _write(labels, _idx_bytes(np.zeros((7, 1), np.uint8)))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte: a uint8 array of shape \\(7, 1\\)"):
        datasets.load_mnist(str(tmp_path))
    _write(labels, _idx_bytes(np.zeros(7, np.uint8)))
    _write(tmp_path / "t10k-images-idx3-ubyte", _idx_bytes(np.zeros((3, 28, 28), ">f4")))   # not uint8 pixels
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte: a float32 array .* expected uint8 images"):
        datasets.load_mnist(str(tmp_path))
    os.remove(tmp_path / "t10k-images-idx3-ubyte")
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        datasets.load_mnist(str(tmp_path))


# -------------------------------------------------------------------------------------------- CIFAR-10

def _batch(n=4, seed=0, labels_as_array=False):
    """A batch in the real files' format (what cPickle wrote in Python 2, as Python 3 reads it back with
    encoding='bytes': bytes keys and strings, labels a list of ints)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    return {b"batch_label": b"training batch 1 of 5", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"labels": labels if labels_as_array else labels.tolist(),
            b"filenames": [f"img_{i}.png".encode() for i in range(n)]}


def _dump(path, obj, protocol=pickle.DEFAULT_PROTOCOL):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


@pytest.mark.parametrize("labels_as_array", [False, True], ids=["labels list", "labels array"])
@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL])
def test_cifar10_batch_loads_exactly(tmp_path, protocol, labels_as_array):
    batch = _batch(labels_as_array=labels_as_array)
    _dump(tmp_path / "b", batch, protocol)
    x, y = datasets.read_cifar10_batch(tmp_path / "b")
    np.testing.assert_array_equal(x, batch[b"data"].reshape(4, 3, 32, 32).astype(np.float32) / 255)
    np.testing.assert_array_equal(y, batch[b"labels"])
    assert x.dtype == np.float32 and y.dtype == np.int64


def test_cifar10_batch_written_by_numpy_1_loads(tmp_path):
    """numpy 1 (which wrote the real files) names the array rebuilder numpy.core.multiarray, numpy 2
    numpy._core.multiarray: both are admitted, and neither imports the deprecated numpy.core."""
    batch = _batch()
    raw = pickle.dumps(batch, protocol=2)                          # protocol 2 names globals in plain text
    raw = raw.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    assert b"numpy.core.multiarray\n_reconstruct" in raw
    (tmp_path / "b").write_bytes(raw)
    x, y = datasets.read_cifar10_batch(tmp_path / "b")
    np.testing.assert_array_equal(x.reshape(4, -1) * np.float32(255), batch[b"data"])
    assert y.tolist() == batch[b"labels"]


def test_cifar10_loader(tmp_path):
    batches = {}
    for i, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        batches[name] = _batch(seed=i)
        _dump(tmp_path / name, batches[name])
    assert datasets.has_cifar10(str(tmp_path))
    tx, ty, vx, vy = datasets.load_cifar10(str(tmp_path))
    assert tx.shape == (20, 3, 32, 32) and vx.shape == (4, 3, 32, 32) and ty.shape == (20,)
    np.testing.assert_array_equal(vx.reshape(4, -1), batches["test_batch"][b"data"] / np.float32(255))
    np.testing.assert_array_equal(tx[4].reshape(-1), batches["data_batch_2"][b"data"][0] / np.float32(255))
    np.testing.assert_array_equal(ty[4:8], batches["data_batch_2"][b"labels"])


class _Calls:
    """Unpickles as fn(arg): what a crafted batch would run."""

    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return self.fn, (self.arg,)


PAYLOADS = {  # each would create the marker file; the error names the global as the pickle spells it
    "os.system": (lambda marker: _Calls(os.system, f"touch {shlex.quote(str(marker))}"), r"(posix|nt)\.system"),
    "builtins.eval": (lambda marker: _Calls(builtins.eval, f"open({str(marker)!r}, 'w').close()"),
                      r"(__builtin__|builtins)\.eval"),                 # protocol 2 / 3+ spellings
}


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL])
def test_cifar10_batch_that_would_run_code_is_refused_unrun(tmp_path, payload, protocol):
    make, forbidden = PAYLOADS[payload]
    batch = _batch()
    batch[b"data"] = make(tmp_path / "marker")
    _dump(tmp_path / "data_batch_1", batch, protocol)
    with pytest.raises(ValueError, match=f"data_batch_1: .*forbidden global {forbidden}"):
        datasets.read_cifar10_batch(tmp_path / "data_batch_1")
    assert not (tmp_path / "marker").exists()
    pickle.loads((tmp_path / "data_batch_1").read_bytes())      # the control: a plain pickle.load runs it
    assert (tmp_path / "marker").exists()


def _with(**changes):
    batch = _batch()
    batch.update({k.encode(): v for k, v in changes.items()})
    return batch


BAD_BATCHES = {                                                 # what the file holds -> what the error says
    "not a dict": ([1, 2, 3], "holds a list, a CIFAR-10 batch is a dict"),
    "no labels": ({b"data": _batch()[b"data"]}, "no b'labels' key"),
    "str keys": ({"data": _batch()[b"data"], "labels": [0] * 4}, "no b'data' or b'labels' key"),
    "float data": (_with(data=np.zeros((4, 3072), np.float32)), "b'data' is a float32 array of shape \\(4, 3072\\)"),
    "data 3000 wide": (_with(data=np.zeros((4, 3000), np.uint8)), "shape \\(4, 3000\\), expected a uint8 array"),
    "data flat": (_with(data=np.zeros(4 * 3072, np.uint8)), "shape \\(12288,\\), expected a uint8 array"),
    "data a list": (_with(data=[[0] * 3072] * 4), "b'data' is a list, expected a uint8 array"),
    "3 labels for 4 rows": (_with(labels=[0, 1, 2]), "4 images in b'data' but 3 labels"),
    "label 10": (_with(labels=[0, 1, 10, 2]), "1 labels outside 0..9 \\(the first: 10\\)"),
    "label -1 in an array": (_with(labels=np.array([0, -1, 2, 3])), "outside 0..9 \\(the first: -1\\)"),
    "float labels": (_with(labels=[0.0, 1.0, 2.0, 3.0]), "b'labels' is a list, expected a list or 1-d array of ints"),
    "2-d labels": (_with(labels=np.zeros((4, 1), np.int64)), "b'labels' is a int64 array of shape \\(4, 1\\)"),
    "object array": (_with(filenames=np.array([b"a", 1], object)), "numpy array of dtype object"),
}


@pytest.mark.parametrize("case", BAD_BATCHES)
def test_cifar10_batch_rejects_malformed_contents(tmp_path, case):
    obj, message = BAD_BATCHES[case]
    _dump(tmp_path / "test_batch", obj)
    with pytest.raises(ValueError, match=message) as info:
        datasets.read_cifar10_batch(tmp_path / "test_batch")
    assert str(tmp_path / "test_batch") in str(info.value)


@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL])
def test_cifar10_batch_rejects_truncated_pickles(tmp_path, protocol):
    raw = pickle.dumps(_batch(), protocol=protocol)
    for keep in (0, 1, 40, len(raw) // 2, len(raw) - 1):
        (tmp_path / "b").write_bytes(raw[:keep])
        with pytest.raises(ValueError, match="b: cannot read it as a CIFAR-10 batch: (EOFError|UnpicklingError)"):
            datasets.read_cifar10_batch(tmp_path / "b")


# -------------------------------------------------------------------------------------------- stand-ins

def test_stand_ins():
    tx, ty, vx, vy = datasets.digits_28x28()
    assert tx.shape[1:] == (1, 28, 28) and len(tx) + len(vx) == 1797 and 0 <= tx.min() and tx.max() <= 1
    assert set(np.unique(ty)) == set(range(10))
    x, y = datasets.synthetic_phone_prices(400)
    assert x.shape == (400, 20) and set(np.unique(y)) == {0, 1, 2, 3}
    cx, cy, _, _ = datasets.synthetic_cifar10(50, 10)
    assert cx.shape == (50, 3, 32, 32) and cx.dtype == np.float32
