"""The real CUDA module, fastnn._C_cuda: built by nvcc when the build found it, with the CUDA runtime
linked statically, importable without a driver, and never loaded by `import fastnn`. (Its kernels run
under the emulator in test_cuda_emu.py, and on a GPU when one is present.)"""
import ctypes
import importlib.util
import sys
import types

import pytest

import fastnn
from helpers import run_python

HAS_MODULE = importlib.util.find_spec("fastnn._C_cuda") is not None


def test_import_fastnn_does_not_load_cuda():
    r = run_python("import sys, fastnn, fastnn.ops, numpy as np; fastnn.ops.relu(np.ones(3, np.float32)); "
                   "print(any(m.startswith('fastnn._C_cuda') for m in sys.modules))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_availability_says_why():
    reason = fastnn.cuda.unavailable_reason()
    assert fastnn.cuda.is_available() == (reason is None)
    if not HAS_MODULE:
        assert "this fastnn build has no CUDA module" in reason
    elif not fastnn.cuda.is_available():
        assert reason.startswith("fastnn's CUDA module found no usable device (")


def _driver_loads() -> bool:
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


@pytest.mark.skipif(not HAS_MODULE or _driver_loads(), reason="needs the CUDA module on a machine without a driver")
def test_no_driver_is_named_as_such():
    reason = fastnn.cuda.unavailable_reason()
    assert "no NVIDIA driver was found; loading libcuda.so.1 failed: " in reason, reason
    assert "insufficient" not in reason  # the static runtime's answer without libcuda, which misleads


# What the static CUDA runtime's cudaGetDeviceCount answers both without libcuda and with a too-old one.
INSUFFICIENT = "cudaGetDeviceCount: CUDA driver version is insufficient for CUDA runtime version"


@pytest.fixture
def fake_cuda_module(monkeypatch):
    """fastnn._C_cuda replaced by a module whose runtime reports no device, and a fresh availability probe."""
    fake = types.ModuleType("fastnn._C_cuda")
    fake.device_status = lambda: (0, INSUFFICIENT)
    monkeypatch.setitem(sys.modules, "fastnn._C_cuda", fake)
    fastnn.cuda._status.cache_clear()
    yield
    fastnn.cuda._status.cache_clear()


def test_driver_present_but_too_old_keeps_the_runtimes_reason(fake_cuda_module, monkeypatch):
    monkeypatch.setattr(fastnn.cuda, "_driver_load_error", lambda: None)  # libcuda loads
    assert not fastnn.cuda.is_available()
    assert fastnn.cuda.unavailable_reason() == f"fastnn's CUDA module found no usable device ({INSUFFICIENT})"


def test_driver_library_missing_says_no_driver(fake_cuda_module, monkeypatch):
    monkeypatch.setattr(fastnn.cuda, "_DRIVER_LIBRARY", "libfastnn_no_such_driver.so.1")
    reason = fastnn.cuda.unavailable_reason()
    assert reason.startswith("fastnn's CUDA module found no usable device (no NVIDIA driver was found; loading "
                             "libfastnn_no_such_driver.so.1 failed: "), reason
    assert "insufficient" not in reason
    with pytest.raises(RuntimeError, match="no NVIDIA driver was found"):
        fastnn.cuda.module()


@pytest.mark.skipif(not HAS_MODULE, reason="fastnn was built without nvcc")
def test_module_errors_follow_the_array_apis_convention():
    """_C_cuda registers the bindings' one error translator: its ops' errors read "fastnn.ops.<op>: ..." (the
    arguments are checked before any CUDA call, so this runs without a device)."""
    import numpy as np

    import fastnn._C_cuda as m
    x = np.ones(4, np.float32)
    with pytest.raises(ValueError, match=r"^fastnn\.ops\.relu: argument 'x' must be on the GPU"):
        m.relu(x, x.copy(), 0)
    with pytest.raises(ValueError, match=r"^fastnn\.ops\.leaky_relu: argument 'x' must be on the GPU"):
        m.activation(x, x.copy(), "leaky_relu", 0.01, 0.0, 0)
    with pytest.raises(ValueError, match=r"^fastnn\.ops\.mse_loss: argument 'input' must be on the GPU"):
        m.pointwise_loss(x, x, None, None, x[:1].copy(), "mse", 0.0, 1, 0)


@pytest.mark.skipif(not HAS_MODULE, reason="fastnn was built without nvcc")
def test_module_links_the_runtime_statically_and_imports_without_a_driver():
    r = run_python("""
        import fastnn._C_cuda as m
        maps = open("/proc/self/maps").read()
        print(m.emulated, "libcudart" in maps, m.cuda_runtime_version >= 12000, type(m.device_status()[0]).__name__)
        print(m.cuda_architectures)
    """)
    assert r.returncode == 0, r.stderr
    flags, archs = r.stdout.strip().splitlines()
    assert flags.split() == ["False", "False", "True", "int"]
    # machine code for sm_80 and sm_90, and compute_90 PTX that newer GPUs compile at load time
    assert {"80-real", "90-real", "90-virtual"} <= set(archs.split())
