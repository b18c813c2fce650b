"""fastnn-bench: time fastnn's kernels against torch (and numpy) in one process, on this machine.

Every case runs fastnn and its reference alternating (warm-up, then --repeats timed samples each; the
median is reported). The machine's ceilings are measured at the start and again at the end: FP32 FMA
throughput, and bandwidth (the best of copy, read and in-place update) in the cache, whose size is found
by probing, and from memory.
Each result is rated as a fraction of its ceiling; a run whose start and end ceilings differ by more than
10% (FMA) or 15% (bandwidth), or with a result above its ceiling, is flagged NOISY (in the output,
results.md and results.json).

Output: a summary per op family (geomean speedup, wins and losses against torch) and a table of every
case (compact; --wide for every column). With --out DIR: results.json, results.md (the wide table),
summary.png (speedup per case grouped by family), speedup_<family>.png (one per family, when the run has
20 cases or more) and roofline.png (rates against the ceilings, every point numbered).

Cost, measured on a 2-vCPU AMD EPYC (AVX-512): --quick (50 cases) about 25-30 s and 0.9 GB of memory at its
peak; the full run (171 cases) about 4.5 minutes and 4 GB.
A GPU is used when torch sees one and fastnn's CUDA module can run on it (--device).
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys

import numpy as np

import fastnn

from . import report
from .ceilings import describe as ceil_describe
from .ceilings import measure as measure_ceilings
from .ceilings import remeasure as remeasure_ceilings
from .harness import SCHEMA_VERSION, discover_cases, gpu_status, measure, run_suite


def git_revision() -> str:
    """The checkout's commit (+dirty), looked up from the working directory, then from the package's."""
    for where in (os.getcwd(), os.path.dirname(os.path.abspath(__file__))):
        try:
            rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=where, capture_output=True,
                                 text=True, timeout=10)
            if rev.returncode == 0:
                dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                                       capture_output=True, text=True, timeout=10).stdout.strip()
                return rev.stdout.strip() + ("+dirty" if dirty else "")
        except (OSError, subprocess.SubprocessError):
            pass
    return "unknown"


def progress_printer(stream=sys.stderr):
    tty = stream.isatty()

    def show(i: int, n: int, what: str) -> None:
        if tty:
            filled = int(30 * i / max(n, 1))
            stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {i}/{n} {what[:70]:<70}")
            if i == n:
                stream.write("\n")
        elif i < n:
            stream.write(f"[{i + 1}/{n}] {what}\n")
        stream.flush()

    return show


def parse_args(argv):
    p = argparse.ArgumentParser(prog="fastnn-bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="the quick subset of cases, 5 repeats, short ceiling measurements")
    p.add_argument("--filter", metavar="REGEX", help="only cases whose 'family name shape' matches (re.search)")
    p.add_argument("--threads", type=int, help="threads for fastnn and torch (default: every CPU this process may use)")
    p.add_argument("--device", choices=["cpu", "cuda", "all"], default="all",
                   help="where to run the cases: cpu, cuda (skipped with the reason when no GPU is usable), "
                        "or all (default: cpu, and cuda when usable)")
    p.add_argument("--repeats", type=int, help="timed samples per implementation and case (default 21, quick 5)")
    p.add_argument("--out", metavar="DIR", help="write results.json, results.md and the PNG plots to DIR")
    p.add_argument("--compare", metavar="OLD_JSON",
                   help="compare fastnn's medians with an earlier results.json; a case that changed beyond the "
                        "noise, or that is above its ceiling, is rerun (fastnn and torch alternating) "
                        "before it is called a change")
    p.add_argument("--wide", action="store_true", help="print every column (times, rates, page faults, kernel)")
    p.add_argument("--list", action="store_true", help="list the selected cases and exit")
    a = p.parse_args(argv)
    if a.repeats is not None and a.repeats < 1:
        p.error("--repeats must be >= 1")
    if a.threads is not None and a.threads < 1:
        p.error("--threads must be >= 1")
    return a


RERUNS = 2  # extra measurements of a case --compare calls changed before it says so


def confirm_changes(cmp: list[dict], old: list, new: list, cases: list, repeats: int, flagged: set) -> list[dict]:
    """Rerun every case --compare found changed, or that is above its ceiling, RERUNS times and keep a
    verdict only if the reruns repeat it (report.confirm)."""
    old_by, new_by = {r.key: r for r in old}, {r.key: r for r in new}
    case_by = {c.key: c for c in cases}
    out = []
    for c in cmp:
        r = new_by.get(c["key"])
        if r is None or "change" not in c or (c["verdict"] == "within noise" and r.key not in flagged):
            out.append(c)
            continue
        reruns = [measure(case_by[f"{r.case} | {r.shape}"], r.device, repeats) for _ in range(RERUNS)]
        out.append(report.confirm(c, old_by[r.key], reruns))
    return out


def main(argv=None) -> int:
    a = parse_args(argv)
    cases = discover_cases(quick=a.quick, pattern=a.filter)
    if a.list:
        for c in cases:
            print(f"{c.family:<12} {c.key:<60} {'quick' if c.quick else ''}")
        return 0
    if not cases:
        print(f"no benchmark case matches --filter {a.filter!r}", file=sys.stderr)
        return 2
    old_report, old = report.load_json(a.compare) if a.compare else (None, None)  # fail early on a bad file

    import torch

    if a.threads:
        fastnn.set_num_threads(a.threads)
        torch.set_num_threads(a.threads)
    repeats = a.repeats or (5 if a.quick else 21)
    info = fastnn.cpu_info()
    print(f"fastnn {fastnn.__version__} | {info['vendor']} {info['brand']} | ISA {info['isa']} | "
          f"fastnn threads {fastnn.get_num_threads()}, torch {torch.__version__} threads {torch.get_num_threads()}")

    ceilings = measure_ceilings(a.quick)

    gpu_ok, gpu_what = gpu_status()
    devices = ["cpu"] if a.device in ("cpu", "all") else []
    if a.device in ("cuda", "all") and gpu_ok:
        devices.append("cuda")
    gpu = {"available": gpu_ok and "cuda" in devices, "name": gpu_what if gpu_ok else None,
           "reason": None if gpu_ok else gpu_what}
    if a.device == "cpu" and gpu_ok:
        gpu["reason"] = "not requested (--device cpu)"
        gpu["available"] = False

    results = run_suite(cases, devices, repeats, progress=progress_printer())
    ceiling_reasons = remeasure_ceilings(ceilings, a.quick)
    quality = report.trust(ceiling_reasons, results, ceilings)
    summary = report.summary(results)
    print(report.format_table(results, ceilings, wide=a.wide))
    print(report.format_gpu(results, gpu))
    print(ceil_describe(ceilings))
    print(report.format_summary(summary))
    print(report.format_trust(quality))

    rep = {
        "schema": SCHEMA_VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cpu": info, "platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": {"fastnn": fastnn.__version__, "torch": torch.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "git": git_revision(),
        "config": {"quick": a.quick, "filter": a.filter, "repeats": repeats, "device": a.device,
                   "threads": fastnn.get_num_threads(), "torch_threads": torch.get_num_threads()},
        "ceilings": ceilings,
        "trust": quality,
        "summary": summary,
        "gpu": gpu,
    }
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        report.write_json(os.path.join(a.out, "results.json"), rep, results)
        with open(os.path.join(a.out, "results.md"), "w") as f:
            f.write(report.markdown(rep, results))
        written = ["results.json", "results.md"]
        try:
            written += [os.path.basename(p) for p in report.write_plots(a.out, rep, results, summary)]
        except ImportError:
            print("PNG plots skipped: matplotlib is not installed (pip install 'fastnn[bench]')", file=sys.stderr)
        print(f"wrote {', '.join(written)} to {a.out}")
    if old is not None:
        flagged = {r.key for r in report.above_ceiling(results, ceilings)}
        cmp = confirm_changes(report.compare(old, results), old, results, cases, repeats, flagged)
        print(report.format_compare(cmp, old_report.get("trust"), quality))
    return 0
