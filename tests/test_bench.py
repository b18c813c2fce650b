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
from fastnn.bench import ceilings as ceil
from fastnn.bench import cli, report
from fastnn.bench.harness import Case, Result, measure, rel_noise
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
    assert "1 regression(s) beyond the measured noise" in text and "flagged noisy" not in text
    text = report.format_compare(report.compare(old, new), {"noisy": True, "reasons": ["fma differs"]},
                                 {"noisy": True, "reasons": ["cache differs"]})
    assert "the earlier run was flagged noisy: fma differs" in text and "this run is flagged noisy" in text


def test_gpu_status_says_why(monkeypatch):
    ok, why = fb.gpu_status()
    assert not ok and "no CUDA device visible to torch" in why  # this test suite runs on the CPU build
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    ok, why = fb.gpu_status()
    assert not ok and why == fastnn.cuda.unavailable_reason()


CEILINGS = {"fma": {"value": 100.0}, "cache": {"value": 80.0, "cache_bytes": 1000}, "memory": {"value": 20.0}}


def test_ceiling_choice_follows_the_working_set():
    r = fake_result("x", 1.0, 0.0)  # 32 bytes per call
    assert ceil.kind_for(r.flops, r.bytes, r.device, CEILINGS) == "cache"
    r.bytes = 5000
    assert ceil.kind_for(r.flops, r.bytes, r.device, CEILINGS) == "memory"
    r.flops = 1e6
    assert ceil.kind_for(r.flops, r.bytes, r.device, CEILINGS) == "fma"
    assert ceil.kind_for(r.flops, r.bytes, "cuda", CEILINGS) is None


MIB = 1 << 20


def test_cache_knee_is_where_bandwidth_drops_not_what_the_cpu_reports():
    # a 32 MiB cache: ~150 GB/s up to 16 MiB working sets, 40 GB/s from 64 MiB on
    probe = [(ws * MIB, v) for ws, v in [(0.25, 130), (1, 150), (4, 140), (16, 145), (32, 90), (64, 42), (128, 40)]]
    assert ceil.knee(probe) == 32 * MIB  # 90 > sqrt(150 * 41)
    assert ceil.knee(probe[:4] + [(32 * MIB, 60)] + probe[5:]) == 16 * MIB
    flat = [(ws * MIB, v) for ws, v in [(1, 30), (2, 31), (4, 29), (8, 30)]]  # no cache effect seen
    assert ceil.knee(flat) == 8 * MIB
    assert not ceil._at_memory_level([150, 140, 145])
    assert not ceil._at_memory_level([150, 140, 145, 90])
    assert ceil._at_memory_level([150, 140, 42, 40])
    assert not ceil._at_memory_level([150, 140, 80, 40])  # still falling


def test_probe_stops_at_the_memory_level(monkeypatch):
    """The probe doubles the buffers until bandwidth has settled far below the best: a VM's claim of a
    huge last-level cache does not make it allocate gigabytes."""
    sizes = []

    def fake(pattern, nbytes, traffic):
        sizes.append(nbytes)
        return 150.0 if 2 * nbytes <= 16 * MIB else 40.0

    monkeypatch.setattr(ceil, "_bandwidth", fake)
    probe = ceil.probe_cache(quick=True)
    assert ceil.knee(probe) == 16 * MIB and max(sizes) == 32 * MIB


def test_ceilings_measured_twice_flag_a_disagreement(monkeypatch):
    fma = iter([{"value": 300.0, "unit": "GFLOP/s", "kernel": "k", "threads": 2}, {"value": 180.0}])
    monkeypatch.setattr(ceil, "_fma", lambda quick: next(fma))
    monkeypatch.setattr(ceil, "probe_cache", lambda quick: [(1 * MIB, 100.0), (4 * MIB, 110.0), (64 * MIB, 30.0),
                                                            (128 * MIB, 30.0)])
    monkeypatch.setattr(ceil, "_figures", lambda ws, traffic: {"copy": 1.0, "read": 2.0, "update": 3.0,
                                                               "value": 3.0 if ws < 16 * MIB else 1.0})
    c = ceil.measure(quick=True)
    assert c["cache"]["cache_bytes"] == 4 * MIB and c["cache"]["working_set"] == 4 * MIB
    assert c["memory"]["working_set"] == 128 * MIB
    reasons = ceil.remeasure(c, quick=True)
    assert len(reasons) == 1 and "FP32 FMA ceiling 300.0 at the start, 180.0 at the end" in reasons[0]
    assert c["fma"]["value"] == 300.0 and c["fma"]["start"] == 300.0 and c["fma"]["end"] == 180.0
    assert "start 300.0, end 180.0" in ceil.describe(c)


def test_a_result_above_its_ceiling_flags_the_run():
    ok, over = fake_result("ok", 1.0, 0.0), fake_result("over", 1.0, 0.0)
    over.bytes = 32 * 80e6  # 2560 GB/s; too large for the cache, so rated against memory's 20 GB/s
    assert report.rating(ok, CEILINGS) == ("cache", pytest.approx(32 / 1e-3 / 1e9 / 80))
    t = report.trust([], [ok, over], CEILINGS)
    assert t["noisy"] and "1 result(s) above their ceiling: over | 4 | cpu" in t["reasons"][0]
    assert report.trust([], [ok], CEILINGS) == {"noisy": False, "reasons": []}
    assert report.trust(["fma differs"], [ok], CEILINGS)["noisy"]
    assert "NOISY RUN" in report.format_trust(t)
    assert report._pct(over, CEILINGS).endswith("% memory !")


def test_summary_geomean_wins_and_losses():
    rs = []
    for fam, speedups in (("a", [2.0, 8.0, 1.02]), ("b", [0.5, 0.5])):
        for i, s in enumerate(speedups):
            r = fake_result(f"{fam}{i}", 1.0, 0.0)
            r.family, r.impls["torch"]["median_s"] = fam, s * 1e-3
            rs.append(r)
    rows = {s["family"]: s for s in report.summary(rs)}
    assert rows["a"]["geomean"] == pytest.approx((2 * 8 * 1.02) ** (1 / 3))
    assert (rows["a"]["wins"], rows["a"]["par"], rows["a"]["losses"]) == (2, 1, 0)
    assert (rows["b"]["geomean"], rows["b"]["losses"]) == (pytest.approx(0.5), 2)
    assert rows["all"]["cases"] == 5 and rows["all"]["geomean"] == pytest.approx((2 * 8 * 1.02 * 0.25) ** 0.2)
    text = report.format_summary(report.summary(rs))
    assert "geomean" in text and "wins" in text and "losses" in text


def many_results(n=171):
    rs = []
    fams = ["activation", "matmul", "softmax", "optim", "loss", "relu", "conv", "pool", "models", "norm", "rnn"]
    for i in range(n):
        r = fake_result(f"a rather long case name number {i} (autograd)", 1.0, 0.0)
        r.shape = f"64x32x14x14->64 3x3 (MNIST conv{i})"
        r.family = fams[i % len(fams)]
        r.impls["torch"]["median_s"] = 1e-3 * 2 ** ((i % 13 - 6) / 3)
        r.bytes, r.flops = (0.0, 1e6 * (i + 1)) if i % 3 == 0 else (32.0 * (i + 1), 0.0)
        rs.append(r)
    return rs


def test_compact_table_fits_120_columns_and_wide_has_every_column():
    rs = many_results(20)
    ceilings = {**CEILINGS, "fma": {"value": 1e9}}
    compact = report.format_table(rs, ceilings).splitlines()
    assert max(len(line) for line in compact) <= 120 and "…" in compact[2]
    assert compact[0].split()[:2] == ["case", "shape"] and "device" not in compact[0]
    wide = report.format_table(rs, ceilings, wide=True).splitlines()
    assert all(h in wide[0] for h in ("faults/call", "fastnn kernel", "fastnn rate", "numpy ms"))


def png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_plots_of_a_full_run_stay_readable(tmp_path):
    """171 cases: a summary figure, one figure per family and a numbered roofline, none over 2400 px."""
    rs = many_results()
    rep = {"machine": {"cpu": {"vendor": "V", "brand": "CPU X"}}, "config": {"threads": 2},
           "versions": {"torch": "2.13.0"}, "created": "2026-12-06 10:00 UTC", "trust": {"noisy": False},
           "ceilings": {"fma": {"value": 1e9}, "cache": {"value": 1e4, "cache_bytes": 1000},
                        "memory": {"value": 1e3}}}
    paths = report.write_plots(str(tmp_path), rep, rs, report.summary(rs))
    names = {os.path.basename(p) for p in paths}
    assert {"summary.png", "roofline.png", "speedup_activation.png", "speedup_rnn.png"} <= names
    for p in paths:
        w, h = png_size(tmp_path / os.path.basename(p))
        assert max(w, h) <= 2400 and min(w, h) >= 400, (p, w, h)
    # a small run: the summary and roofline only
    small = tmp_path / "small"
    small.mkdir()
    assert {os.path.basename(p) for p in report.write_plots(str(small), rep, rs[:5], report.summary(rs[:5]))} == \
        {"summary.png", "roofline.png"}


def test_compare_reruns_a_changed_case_before_calling_it_a_change():
    old = fake_result("a", 1.0, 0.01)
    new = fake_result("a", 1.3, 0.01)  # +30%
    (entry,) = report.compare([old], [new])
    assert entry["verdict"] == "REGRESSION"
    slower = fake_result("a", 1.3, 0.01)
    slower.impls["torch"]["median_s"] = 1e-3  # the reference did not move: fastnn really got slower
    assert report.confirm(entry, old, [slower, slower])["verdict"] == "REGRESSION"
    back = fake_result("a", 1.0, 0.01)  # the rerun shows no change: the first measurement was noise
    assert report.confirm(entry, old, [slower, back])["verdict"].startswith("unconfirmed")
    machine = fake_result("a", 1.3, 0.01)
    machine.impls["torch"]["median_s"] = 1.3e-3  # torch slowed down as much: the machine, not fastnn
    assert report.confirm(entry, old, [machine, machine])["verdict"].startswith("unconfirmed")


def test_cli_writes_json_markdown_and_plots(tmp_path, capsys):
    out = tmp_path / "run1"
    assert cli.main(TINY + ["--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ceilings (" in printed and "relu fwd (out=)" in printed and "summary: speedup" in printed
    assert "GPU columns empty: no CUDA device visible to torch" in printed
    assert "NOISY RUN" in printed or "run quality: the ceilings agree" in printed
    assert max(len(line) for line in printed.splitlines() if not line.startswith("wrote ")) <= 120
    data = json.loads((out / "results.json").read_text())
    assert data["schema"] == fb.harness.SCHEMA_VERSION
    assert set(data) >= {"created", "machine", "versions", "git", "config", "ceilings", "gpu", "results", "trust",
                         "summary"}
    assert data["gpu"] == {"available": False, "name": None, "reason": fb.gpu_status()[1]}
    for name in ("fma", "cache", "memory"):
        c = data["ceilings"][name]
        assert c["value"] > 0 and c["value"] == max(c["start"], c["end"])
    assert data["ceilings"]["cache"]["cache_bytes"] > 0 and len(data["ceilings"]["cache"]["probe"]) >= 4
    assert set(data["trust"]) == {"noisy", "reasons"} and data["trust"]["noisy"] == bool(data["trust"]["reasons"])
    (res,) = data["results"]
    assert res["case"] == "relu fwd (out=)" and res["shape"].startswith("64x128") and res["device"] == "cpu"
    assert set(res["impls"]) == {"fastnn", "torch"} and len(res["impls"]["fastnn"]["samples_s"]) == 3
    assert res["variant"] == fastnn.cpu_info()["kernels"]["relu_f32"] and res["unit"] == "GB/s"
    assert res["ceiling"] == "cache" and res["fraction_of_ceiling"] > 0
    assert res["above_ceiling"] == (res["fraction_of_ceiling"] > 1)
    (fam, overall) = data["summary"]
    assert fam["family"] == "relu" and overall["family"] == "all" and fam["cases"] == 1
    md = (out / "results.md").read_text()
    assert "| relu fwd (out=) | 64x128" in md and "ceilings (" in md and "## Summary" in md
    for png in ("summary.png", "roofline.png"):
        assert max(png_size(out / png)) <= 2400

    # a second run compared with the first: every case is matched and judged
    assert cli.main(TINY + ["--compare", str(out / "results.json")]) == 0
    printed = capsys.readouterr().out
    assert "relu fwd (out=) | 64x128 (MLP act.) | cpu" in printed and "regression(s) beyond the measured noise" in printed


def test_help_is_self_contained(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert ".py" not in text  # no pointer to a source file
    assert "--quick" in text and "--device" in text and "NOISY" in text and "summary.png" in text
    for option in ("--quick", "--filter", "--threads", "--device", "--repeats", "--out", "--compare", "--wide"):
        assert option in text
    assert "{" not in text.split("Cost, measured")[1].splitlines()[0]  # the measured times are filled in


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
