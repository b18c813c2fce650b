"""fastnn-bench: run the benchmark suite (see fastnn/bench/__init__.py)."""
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
from .harness import SCHEMA_VERSION, discover_cases, gpu_status, measure_ceilings, run_suite


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
    p = argparse.ArgumentParser(prog="fastnn-bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="the quick subset, 5 repeats, short ceiling runs (~1 min)")
    p.add_argument("--filter", metavar="REGEX", help="only cases whose 'family name shape' matches")
    p.add_argument("--threads", type=int, help="threads for fastnn and torch (default: all CPUs)")
    p.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    p.add_argument("--repeats", type=int, help="timed repeats per implementation (default 21, quick 5)")
    p.add_argument("--out", metavar="DIR", help="write results.json, results.md, speedup.png, roofline.png")
    p.add_argument("--compare", metavar="OLD_JSON", help="compare fastnn's medians with an earlier results.json")
    p.add_argument("--list", action="store_true", help="list the selected cases and exit")
    a = p.parse_args(argv)
    if a.repeats is not None and a.repeats < 1:
        p.error("--repeats must be >= 1")
    if a.threads is not None and a.threads < 1:
        p.error("--threads must be >= 1")
    return a


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
    old = report.load_json(a.compare)[1] if a.compare else None  # fail early on a bad file

    import torch

    if a.threads:
        fastnn.set_num_threads(a.threads)
        torch.set_num_threads(a.threads)
    repeats = a.repeats or (5 if a.quick else 21)
    info = fastnn.cpu_info()
    print(f"fastnn {fastnn.__version__} | {info['vendor']} {info['brand']} | ISA {info['isa']} | "
          f"fastnn threads {fastnn.get_num_threads()}, torch {torch.__version__} threads {torch.get_num_threads()}")

    ceilings = measure_ceilings(a.quick)
    print(report.format_ceilings(ceilings))

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
    print(report.format_table(results, ceilings))
    print(report.format_gpu(results, gpu))

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
        "gpu": gpu,
    }
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        report.write_json(os.path.join(a.out, "results.json"), rep, results)
        with open(os.path.join(a.out, "results.md"), "w") as f:
            f.write(report.markdown(rep, results))
        written = ["results.json", "results.md"]
        try:
            written += [os.path.basename(p) for p in report.write_plots(a.out, results, ceilings)]
        except ImportError:
            print("PNG plots skipped: matplotlib is not installed (pip install 'fastnn[bench]')", file=sys.stderr)
        print(f"wrote {', '.join(written)} to {a.out}")
    if old is not None:
        print(report.format_compare(report.compare(old, results)))
    return 0
