"""The benchmark harness on tiny cases: results schema, Markdown/PNG output, comparison logic and the
no-GPU path. Nothing here asserts a timing."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import fastnn
import fastnn.bench as fb
from fastnn.bench import cli, report
from fastnn.bench.harness import Case, Result, ceiling_for, measure, rel_noise
from helpers import run_python

TINY = ["--quick", "--filter", r"relu fwd \(out=\) 64x128", "--repeats", "3"]


def test_cases_are_discovered_with_their_napkin_math():
    cases = fb.discover_cases()
    relu = [c for c in cases if c.family == "relu"]
    assert len(relu) >= 8
    for c in relu:
        assert c.bytes > 0 and c.napkin and c.size > 0 and c.flops == 0
    assert {c.key for c in fb.discover_cases(pattern="^relu .*16M")} == {c.key for c in relu if c.shape == "16M"}
    assert all(c.quick for c in fb.discover_cases(quick=True))


def test_measure_a_tiny_case():
    calls = {"fastnn": 0, "torch": 0}

    def setup(device):
        def f(name):
            def fn():
                calls[name] += 1
            return fn
        return {"fastnn": f("fastnn"), "torch": f("torch")}

    case = Case("toy", "toy op", "3", 3, setup, bytes=24, napkin="3 x 8 B", variant=lambda: "toy__ref")
    r = measure(case, "cpu", repeats=5)
    assert set(r.impls) == {"fastnn", "torch"} and r.variant == "toy__ref" and r.unit == "GB/s"
    for s in r.impls.values():
        assert len(s["samples_s"]) == 5 and s["inner"] >= 1 and s["median_s"] > 0
    assert calls["fastnn"] >= 5 and calls["torch"] >= 5
    assert r.speedup == pytest.approx(r.impls["torch"]["median_s"] / r.impls["fastnn"]["median_s"])
    back = Result.from_json(json.loads(json.dumps(r.to_json())))
    assert back.key == r.key and back.impls == r.impls


def test_measure_counts_page_faults_per_call():
    """The harness reports each implementation's page faults per call: first touches of fresh memory."""
    import mmap

    def setup(device):
        def touch_fresh():  # 64 fresh pages, each touched once
            m = mmap.mmap(-1, 64 * mmap.PAGESIZE)
            for i in range(0, len(m), mmap.PAGESIZE):
                m[i] = 1
            m.close()
        return {"fastnn": lambda: None, "torch": touch_fresh}

    r = measure(Case("toy", "faults", "64 pages", 1, setup, bytes=1), "cpu", repeats=3)
    assert r.impls["fastnn"]["faults_per_call"] < 8
    assert r.impls["torch"]["faults_per_call"] >= 60


def test_rel_noise():
    assert rel_noise([1.0] * 9) == 0.0
    assert rel_noise([1.0, 1.0]) == 0.0  # too few samples to estimate
    assert 0.05 < rel_noise([0.9, 0.95, 1.0, 1.05, 1.1]) < 0.2


def fake_result(key_case, median_ms, noise, n=21, device="cpu"):
    s = list(np.full(n, median_ms / 1e3))
    return Result("toy", key_case, "4", device, 4, 0.0, 32.0, "", "k",
                  {"fastnn": {"median_s": median_ms / 1e3, "samples_s": s, "inner": 1, "rel_noise": noise},
                   "torch": {"median_s": 1e-3, "samples_s": s, "inner": 1, "rel_noise": noise}})


def test_compare_flags_only_changes_beyond_the_noise():
    old = [fake_result("a", 1.0, 0.01), fake_result("b", 1.0, 0.01), fake_result("c", 1.0, 0.01),
           fake_result("d", 1.0, 0.40), fake_result("gone", 1.0, 0.01)]
    new = [fake_result("a", 1.20, 0.01),   # +20%, quiet runs: regression
           fake_result("b", 1.01, 0.01),   # +1%: below the 3% floor
           fake_result("c", 0.80, 0.01),   # -20%: improved
           fake_result("d", 1.20, 0.40),   # +20% but the runs are very noisy: not flagged
           fake_result("new", 1.0, 0.01)]
    verdicts = {c["key"].split(" | ")[0]: c["verdict"] for c in report.compare(old, new)}
    assert verdicts == {"a": "REGRESSION", "b": "within noise", "c": "improved", "d": "within noise",
                        "new": "new", "gone": "gone"}
    text = report.format_compare(report.compare(old, new))
    assert "1 regression(s) beyond the measured noise" in text


def test_gpu_status_says_why(monkeypatch):
    ok, why = fb.gpu_status()
    assert not ok and "no CUDA device visible to torch" in why  # this test suite runs on the CPU build
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    ok, why = fb.gpu_status()
    assert not ok and why == fastnn.cuda.unavailable_reason()


def test_ceiling_choice_follows_the_working_set():
    ceilings = {"fma": {"value": 100.0}, "copy": {"value": 20.0}, "copy_llc": {"value": 80.0, "llc_bytes": 1000}}
    r = fake_result("x", 1.0, 0.0)
    assert ceiling_for(r, ceilings) == "copy_llc"
    r.bytes = 5000
    assert ceiling_for(r, ceilings) == "copy"
    r.flops = 1e6
    assert ceiling_for(r, ceilings) == "fma"
    r.device = "cuda"
    assert ceiling_for(r, ceilings) is None


def test_cli_writes_json_markdown_and_plots(tmp_path, capsys):
    out = tmp_path / "run1"
    assert cli.main(TINY + ["--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ceilings (measured now" in printed and "relu fwd (out=)" in printed
    assert "GPU columns empty: no CUDA device visible to torch" in printed
    data = json.loads((out / "results.json").read_text())
    assert data["schema"] == fb.harness.SCHEMA_VERSION
    assert set(data) >= {"created", "machine", "versions", "git", "config", "ceilings", "gpu", "results"}
    assert data["gpu"] == {"available": False, "name": None, "reason": fb.gpu_status()[1]}
    for name in ("fma", "copy", "copy_llc"):
        assert data["ceilings"][name]["value"] > 0
    (res,) = data["results"]
    assert res["case"] == "relu fwd (out=)" and res["shape"].startswith("64x128") and res["device"] == "cpu"
    assert set(res["impls"]) == {"fastnn", "torch"} and len(res["impls"]["fastnn"]["samples_s"]) == 3
    assert res["variant"] == fastnn.cpu_info()["kernels"]["relu_f32"] and res["unit"] == "GB/s"
    md = (out / "results.md").read_text()
    assert "| relu fwd (out=) | 64x128" in md and "ceilings (measured now" in md
    for png in ("speedup.png", "roofline.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # a second run compared with the first: every case is matched and judged
    assert cli.main(TINY + ["--compare", str(out / "results.json")]) == 0
    printed = capsys.readouterr().out
    assert "relu fwd (out=) | 64x128 (MLP act.) | cpu" in printed and "regression(s) beyond the measured noise" in printed


def test_cli_cuda_only_on_a_machine_without_gpu(capsys):
    assert cli.main(TINY + ["--device", "cuda"]) == 0
    assert "GPU columns empty: no CUDA device visible to torch" in capsys.readouterr().out


def test_cli_rejects_bad_arguments(tmp_path, capsys):
    assert cli.main(["--filter", "no-such-case"]) == 2
    bad = tmp_path / "old.json"
    bad.write_text(json.dumps({"schema": 999, "results": []}))
    with pytest.raises(ValueError, match="results schema 999"):
        cli.main(TINY + ["--compare", str(bad)])
    with pytest.raises(SystemExit):
        cli.main(["--repeats", "0"])


def test_entry_points():
    r = run_python("import runpy, sys; sys.argv = ['x', '--list']; runpy.run_module('fastnn.bench', run_name='__main__')")
    assert r.returncode == 0 and "relu fwd (new out)" in r.stdout
    script = shutil.which("fastnn-bench", path=os.path.dirname(sys.executable))
    assert script, "the fastnn-bench console script is not installed next to this Python"
    r = subprocess.run([script, "--list", "--quick"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "16M" in r.stdout
