"""Timing for bench/ scripts: warm-up, then fastnn and its references alternate within each repeat
(order flipped every repeat) so that drift and neighbour effects hit both; medians are reported.

Issue 3 grows this into the `fastnn-bench` harness; keep cases free of their own timing code.
"""
from __future__ import annotations

import json
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field


@dataclass
class Result:
    case: str
    shape: str
    impl: str
    variant: str
    median_ms: float
    bytes_moved: int
    samples_ms: list[float] = field(repr=False)

    @property
    def gbps(self) -> float:
        return self.bytes_moved / (self.median_ms * 1e-3) / 1e9


def compare(case: str, shape: str, impls: dict, bytes_moved: int, variants: dict, repeats: int, warmup: int = 3):
    """Time every callable of `impls` (name -> fn), interleaved; returns one Result per impl."""
    for _ in range(warmup):
        for fn in impls.values():
            fn()
    samples = {name: [] for name in impls}
    names = list(impls)
    for r in range(repeats):
        for name in names if r % 2 == 0 else reversed(names):
            t0 = time.perf_counter()
            impls[name]()
            samples[name].append((time.perf_counter() - t0) * 1e3)
    return [Result(case, shape, name, variants.get(name, ""), statistics.median(s), bytes_moved, s)
            for name, s in samples.items()]


def print_table(results: list[Result]) -> None:
    """One row per result; fastnn's rows show their speedup over the reference (torch or numpy) of the case."""
    print(f"{'case':<28} {'shape':<24} {'impl':<7} {'variant':<27} {'median ms':>10} {'GB/s':>6} {'speedup':>8}")
    by_case = {}
    for r in results:
        by_case.setdefault((r.case, r.shape), []).append(r)
    for rows in by_case.values():
        base = next((r for r in rows if r.impl != "fastnn"), None)
        for r in rows:
            speed = f"{base.median_ms / r.median_ms:7.2f}x" if base and r.impl == "fastnn" else ""
            print(f"{r.case:<28} {r.shape:<24} {r.impl:<7} {r.variant:<27} {r.median_ms:10.3f} {r.gbps:6.1f} {speed:>8}")


def write_json(path: str, results: list[Result], meta: dict) -> None:
    with open(path, "w") as f:
        json.dump({"meta": {"python": platform.python_version(), **meta},
                   "results": [asdict(r) for r in results]}, f, indent=1)
