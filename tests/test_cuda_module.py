"""The real CUDA module, fastnn._C_cuda: built by nvcc when the build found it, with the CUDA runtime
linked statically, importable without a driver, and never loaded by `import fastnn`. (Its kernels run
under the emulator in test_cuda_emu.py, and on a GPU when one is present.)"""
import importlib.util

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
