"""CPU feature probe, FASTNN_ISA, and the kernels each ISA level selects."""
import json

import pytest

import fastnn
from helpers import run_python

LEVELS = ["generic", "avx2", "avx512"]
INFO = fastnn.cpu_info()
SUPPORTED = LEVELS[: LEVELS.index(INFO["best_isa"]) + 1]


def test_cpu_info_reports_features_and_the_level_in_use():
    assert set(INFO) >= {"vendor", "brand", "features", "best_isa", "isa", "forced", "num_threads", "kernels",
                         "llc_bytes"}
    assert INFO["isa"] == INFO["best_isa"] and INFO["forced"] is None
    f = INFO["features"]
    if INFO["best_isa"] == "avx512":
        assert all(f[k] for k in ("avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"))
    if INFO["best_isa"] in ("avx2", "avx512"):
        assert f["avx2"] and f["fma"] and f["os_saves_avx"]
    if INFO["best_isa"] == "avx2":
        assert not all(f[k] for k in ("avx512f", "avx512bw", "avx512dq", "avx512vl", "os_saves_avx512"))
    assert INFO["llc_bytes"] >= 1 << 20


@pytest.mark.parametrize("level", SUPPORTED)
def test_forced_level_selects_its_kernels_and_computes_correctly(level):
    r = run_python(f"""
        import json, numpy as np, torch, fastnn
        info = fastnn.cpu_info()
        x = np.random.default_rng(0).standard_normal(100_003).astype(np.float32)
        x[::97] = np.nan; x[1::89] = -0.0
        ok = fastnn.ops.relu(x).tobytes() == torch.relu(torch.from_numpy(x)).numpy().tobytes()
        g = np.ones_like(x); y = fastnn.ops.relu(x)
        ok_b = np.array_equal(fastnn.ops.relu_backward(g, y),
                              torch.ops.aten.threshold_backward(torch.from_numpy(g), torch.from_numpy(y), 0.0).numpy())
        print(json.dumps({{"isa": info["isa"], "forced": info["forced"], "kernels": info["kernels"], "ok": ok and ok_b}}))
    """, env={"FASTNN_ISA": level})
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["isa"] == level and out["forced"] == level and out["ok"]
    assert out["kernels"]["relu_f32"].endswith("__ref" if level == "generic" else f"__{level}")
    assert out["kernels"]["relu_backward_f32"].endswith("__ref" if level == "generic" else f"__{level}")


@pytest.mark.parametrize("level", [lv for lv in LEVELS if lv not in SUPPORTED] or ["(none)"])
def test_forcing_an_unsupported_level_fails_at_import(level):
    if level == "(none)":
        pytest.skip("this CPU supports every level fastnn has")
    r = run_python("import fastnn", env={"FASTNN_ISA": level})
    assert r.returncode != 0
    assert f"RuntimeError: FASTNN_ISA={level} asks for kernels this CPU cannot run" in r.stderr
    assert f"the best it supports is {INFO['best_isa']}" in r.stderr


def test_unknown_level_fails_at_import():
    r = run_python("import fastnn", env={"FASTNN_ISA": "sse9"})
    assert r.returncode != 0
    assert "ValueError: unknown ISA level 'sse9' (expected one of: avx512, avx2, generic)" in r.stderr


def test_empty_level_means_auto():
    r = run_python("import fastnn; print(fastnn.cpu_info()['isa'])", env={"FASTNN_ISA": ""})
    assert r.returncode == 0 and r.stdout.strip() == INFO["best_isa"]
