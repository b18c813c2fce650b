"""The examples run as users run them (a subprocess per script, default data, fewer epochs where noted),
checked on their printed metric; and the dataset readers on small files written here."""
import gzip
import os
import pickle
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

from fastnn import datasets

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def run(script, *args, timeout=300):
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args], capture_output=True, text=True,
                       timeout=timeout, cwd=EXAMPLES)
    assert r.returncode == 0, f"{script} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def metric(out, name):
    m = re.search(rf"{name}: ([0-9.]+)", out)
    assert m, f"no '{name}' in the output:\n{out}"
    return float(m.group(1))


def test_tanh_net_prints_the_course_value():
    assert run("tanh_net.py").strip() == "9.887385002294863"


def test_xor_numpy_learns_xor_without_torch():
    assert metric(run("xor_numpy.py", "3000"), "accuracy") == 1.0


def test_xor_torch_learns_xor():
    assert metric(run("xor_torch.py", "1500"), "accuracy") == 1.0


def test_mnist_cnn_reaches_95_percent_on_digits():
    assert metric(run("mnist_cnn.py"), "test accuracy") >= 0.95


def test_lenet5_learns_digits():
    assert metric(run("lenet5.py", "--epochs", "5"), "test accuracy") >= 0.9


def test_cifar_mlp_learns_the_stand_in():
    assert metric(run("cifar_mlp.py", "--epochs", "1"), "test accuracy") >= 0.5


def test_phone_price_reloads_its_best_checkpoint():
    out = run("phone_price.py", "--epochs", "8")
    assert "best checkpoint reloaded" in out
    assert metric(out, "test accuracy") >= 0.7


# ------------------------------------------------------------------------------------------ dataset readers

def _write_idx(path, array, gz=False):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}
    head = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(head + array.tobytes())


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_reader_and_loader(tmp_path, gz):
    rng = np.random.default_rng(0)
    sx = ".gz" if gz else ""
    imgs = {"train": rng.integers(0, 256, (7, 28, 28), dtype=np.uint8), "t10k": rng.integers(0, 256, (3, 28, 28),
                                                                                              dtype=np.uint8)}
    labels = {"train": rng.integers(0, 10, 7, dtype=np.uint8), "t10k": rng.integers(0, 10, 3, dtype=np.uint8)}
    for split in ("train", "t10k"):
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte{sx}", imgs[split], gz)
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte{sx}", labels[split], gz)
    assert datasets.has_mnist(str(tmp_path))
    tx, ty, vx, vy = datasets.load_mnist(str(tmp_path))
    assert tx.shape == (7, 1, 28, 28) and tx.dtype == np.float32 and vx.shape == (3, 1, 28, 28)
    np.testing.assert_allclose(tx[:, 0] * 255, imgs["train"], atol=1e-4)
    np.testing.assert_array_equal(vy, labels["t10k"])
    assert ty.dtype == np.int64
    wide = np.arange(6, dtype=">i4").reshape(2, 3)
    _write_idx(tmp_path / "wide.idx", wide)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "wide.idx"), [[0, 1, 2], [3, 4, 5]])


def test_idx_reader_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x12\x34\x08\x01\x00\x00\x00\x05abc")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"abc")
    with pytest.raises(ValueError, match="bytes of data"):
        datasets.read_idx(tmp_path / "short")
    with pytest.raises(FileNotFoundError):
        datasets.load_mnist(str(tmp_path))


def test_cifar10_batch_loader(tmp_path):
    rng = np.random.default_rng(1)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
        batches[name] = data
        with open(tmp_path / name, "wb") as f:
            pickle.dump({b"data": data, b"labels": list(rng.integers(0, 10, 4))}, f)
    assert datasets.has_cifar10(str(tmp_path))
    tx, ty, vx, vy = datasets.load_cifar10(str(tmp_path))
    assert tx.shape == (20, 3, 32, 32) and vx.shape == (4, 3, 32, 32) and ty.shape == (20,)
    np.testing.assert_allclose(vx.reshape(4, -1) * 255, batches["test_batch"], atol=1e-4)
    np.testing.assert_allclose(tx[4].reshape(-1) * 255, batches["data_batch_2"][0], atol=1e-4)


def test_stand_ins():
    tx, ty, vx, vy = datasets.digits_28x28()
    assert tx.shape[1:] == (1, 28, 28) and len(tx) + len(vx) == 1797 and 0 <= tx.min() and tx.max() <= 1
    assert set(np.unique(ty)) == set(range(10))
    x, y = datasets.synthetic_phone_prices(400)
    assert x.shape == (400, 20) and set(np.unique(y)) == {0, 1, 2, 3}
    cx, cy, _, _ = datasets.synthetic_cifar10(50, 10)
    assert cx.shape == (50, 3, 32, 32) and cx.dtype == np.float32
