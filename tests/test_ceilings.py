"""The native ceiling measurements: every FMA-throughput kernel computes its closed form (so the loop
really runs every FMA), and the measurements return sane, positive figures (no timing is asserted)."""
import math

import pytest

import fastnn
from fastnn import _C
from helpers import skip_unless_usable

FAMILIES = ("fma_peak_f32",)  # see test_registry.py
KERNELS = [k["name"] for k in fastnn.list_kernels() if k["family"] in FAMILIES]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("iters", [0, 1, 7, 1000, 100_000])
def test_fma_peak_kernel_computes_its_closed_form(kernel, iters):
    skip_unless_usable(kernel)
    checksum, flops = _C.run_fma_peak_kernel(kernel, iters)
    # 12 chains acc_j <- acc_j * 15/16 + (j+1)/16 from 0: acc_j = (j+1) * (1 - (15/16)^iters)
    lanes = {"ref": 1, "avx2": 8, "avx512": 16}[kernel.rsplit("__", 1)[1]]
    assert flops == iters * 12 * lanes * 2
    want = lanes * 78 * (1 - (15 / 16) ** iters)
    assert math.isclose(checksum, want, rel_tol=1e-5, abs_tol=1e-5), (checksum, want)


def test_fma_ceiling_is_measured_with_the_selected_kernel():
    c = _C.measure_fma_gflops(0.05)
    assert c["unit"] == "GFLOP/s" and c["threads"] == fastnn.get_num_threads()
    assert c["kernel"] == fastnn.cpu_info()["kernels"]["fma_peak_f32"]
    assert math.isfinite(c["value"]) and c["value"] > 0


@pytest.mark.parametrize("pattern", ["copy", "read", "update"])
@pytest.mark.parametrize("nbytes", [64 << 10, (8 << 20) + 12])
def test_bandwidth_ceiling(pattern, nbytes):
    """Each access pattern runs (its checksum is verified natively) and returns a sane figure."""
    c = _C.measure_bandwidth_gbps(nbytes, 2, pattern)
    assert c["unit"] == "GB/s" and math.isfinite(c["value"]) and c["value"] > 0
    assert c["threads"] == fastnn.get_num_threads() and c["kernel"]


def test_ceiling_arguments_are_validated():
    with pytest.raises(ValueError, match="seconds must be > 0"):
        _C.measure_fma_gflops(0)
    with pytest.raises(ValueError, match="need bytes >= 64 KiB"):
        _C.measure_bandwidth_gbps(1000, 1)
    with pytest.raises(ValueError, match="need bytes >= 64 KiB and reps >= 1"):
        _C.measure_bandwidth_gbps(1 << 20, 0, "read")
    with pytest.raises(ValueError, match="pattern must be 'copy', 'read' or 'update', got 'write'"):
        _C.measure_bandwidth_gbps(1 << 20, 1, "write")
    with pytest.raises(ValueError, match="iters must be >= 0"):
        _C.run_fma_peak_kernel("", -1)
