"""The examples run as users run them (a subprocess per script, fewer epochs where noted): on their default
data, checked on their printed metric, and on small real-format files passed as --data. Every run must also
say which data it used and how long it took. (The dataset readers are tested in test_datasets.py.)"""
import gzip
import os
import pickle
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")

DIGITS = "no --data: using scikit-learn's 8x8 digits upscaled to 28x28 as a stand-in for MNIST"
DEFAULT_DATA = {  # how the line naming the data starts when an example runs without --data
    "tanh_net.py": "data: the course notes' input [3.0, 5.0] and weights",
    "xor_numpy.py": "data: XOR's truth table",
    "xor_torch.py": "data: XOR's truth table",
    "mnist_cnn.py": DIGITS,
    "lenet5.py": DIGITS,
    "cifar_mlp.py": "no --data: using a synthetic stand-in for CIFAR-10",
    "phone_price.py": "no --data: using a synthetic stand-in for the mobile price table",
}
TIMING = re.compile(r"^time: [0-9.]+ m?s ", re.MULTILINE)


def run(script, *args, data=None, timeout=300):
    """Runs an example; checks that it succeeded, named the data it used (a line starting with ``data``, else
    with its DEFAULT_DATA entry) and printed its time. Returns its stdout."""
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args], capture_output=True, text=True,
                       timeout=timeout, cwd=EXAMPLES)
    assert r.returncode == 0, f"{script} failed:\n{r.stdout}\n{r.stderr}"
    said = [line for line in r.stdout.splitlines() if line.startswith(data or DEFAULT_DATA[script])]
    assert said, f"{script} does not name its data:\n{r.stdout}"
    assert TIMING.search(r.stdout), f"{script} prints no time:\n{r.stdout}"
    return r.stdout


def metric(out, name):
    m = re.search(rf"{name}: ([0-9.]+)", out)
    assert m, f"no '{name}' in the output:\n{out}"
    return float(m.group(1))


def test_every_example_is_run_here():
    scripts = {f for f in os.listdir(EXAMPLES) if f.endswith(".py") and not f.startswith("_")}
    assert scripts == set(DEFAULT_DATA)


def test_tanh_net_prints_the_course_value():
    assert run("tanh_net.py").splitlines()[-1] == "9.887385002294863"


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


# ------------------------------------------------------------------- --data: tiny files in the real formats

def test_lenet5_reads_mnist_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("train", 12), ("t10k", 5)):
        for kind, array in (("images-idx3", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)),
                            ("labels-idx1", rng.integers(0, 10, n, dtype=np.uint8))):
            head = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            with gzip.open(tmp_path / f"{split}-{kind}-ubyte.gz", "wb") as f:
                f.write(head + array.tobytes())
    run("lenet5.py", "--epochs", "1", "--data", str(tmp_path),
        data=f"data: MNIST IDX files in {tmp_path} (12 train, 5 test examples)")


def test_cifar_mlp_reads_python_batches(tmp_path):
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (3, 3072), dtype=np.uint8), b"labels": [0, 5, 9],
                 b"batch_label": name.encode(), b"filenames": [b"a.png", b"b.png", b"c.png"]}
        with open(tmp_path / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
    run("cifar_mlp.py", "--epochs", "1", "--data", str(tmp_path),
        data=f"data: CIFAR-10 python batches in {tmp_path} (15 train, 3 test examples)")


def test_phone_price_reads_a_csv(tmp_path):
    rng = np.random.default_rng(0)
    table = np.column_stack([rng.integers(0, 100, (50, 20)), rng.integers(0, 4, 50)])
    header = ",".join([f"f{i}" for i in range(20)] + ["price_range"])
    np.savetxt(tmp_path / "train.csv", table, fmt="%d", delimiter=",", header=header, comments="")
    run("phone_price.py", "--epochs", "2", "--data", str(tmp_path / "train.csv"),
        data=f"data: the price table in {tmp_path / 'train.csv'} (40 train, 10 test examples)")


@pytest.mark.parametrize("script", ["mnist_cnn.py", "cifar_mlp.py"])
def test_missing_data_is_an_error_not_a_silent_stand_in(tmp_path, script):
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), "--data", str(tmp_path)],
                       capture_output=True, text=True, timeout=300, cwd=EXAMPLES)
    assert r.returncode != 0 and "FileNotFoundError" in r.stderr and str(tmp_path) in r.stderr, r.stderr
    assert "stand-in" not in r.stdout
