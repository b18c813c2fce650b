"""fastnn's benchmark harness, shipped as ``fastnn.bench``: ``fastnn-bench`` or ``python -m fastnn.bench``.

Each op family has one module here, ``bench_<family>.py``, whose ``cases()`` returns its
:class:`~fastnn.bench.harness.Case` list with the napkin math (flops, bytes) next to each case. The
harness discovers those modules, measures the machine's ceilings with fastnn's own native code (FP32
FMA throughput, cache and memory bandwidth: ``ceilings.py``) at the start and the end of the run, times
fastnn and torch (and numpy where it applies) alternating in one process, and reports medians,
speedups, a summary per family, achieved rates and the fraction of the ceiling (``report.py``).
"""
from .ceilings import measure as measure_ceilings
from .harness import Case, Result, discover_cases, gpu_status, run_suite

__all__ = ["Case", "Result", "discover_cases", "gpu_status", "measure_ceilings", "run_suite"]
