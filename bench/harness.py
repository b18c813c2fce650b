"""Cases, timing and the suite runner.

Timing: every implementation of a case is warmed up, then timed `repeats` times with the implementations
alternating (order flipped every repeat) so that drift, frequency changes and neighbour effects hit all
of them alike. A sample is the mean over `inner` back-to-back calls, with `inner` chosen so that a sample
lasts about a millisecond (timer resolution and call overhead stay negligible). Medians are reported.
CPU samples use time.perf_counter; CUDA samples use CUDA events on torch's current stream.
"""
from __future__ import annotations

import importlib
import math
import pkgutil
import re
import resource
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

import fastnn

SCHEMA_VERSION = 2  # 2: ceilings cache/memory/fma with start and end figures, trust, summary
SAMPLE_TARGET_S = 1e-3


@dataclass
class Case:
    """One benchmark: a named computation at one shape, with its napkin math.

    ``setup(device)`` allocates inputs on ``device`` ("cpu" or "cuda") and returns the implementations to
    time as ``{"fastnn": fn, "torch": fn, ...}`` (zero-argument callables). ``flops`` and ``bytes`` are
    the work and the minimum memory traffic of one call: a case with flops is rated in GFLOP/s against
    the FMA ceiling, one without in GB/s against the cache or memory bandwidth (see ceilings.py).
    """

    family: str
    name: str
    shape: str
    size: int
    setup: Callable[[str], dict]
    flops: float = 0.0
    bytes: float = 0.0
    napkin: str = ""
    variant: Callable[[], str] = lambda: ""
    devices: tuple = ("cpu", "cuda")
    quick: bool = True

    @property
    def key(self) -> str:
        return f"{self.name} | {self.shape}"


@dataclass
class Result:
    family: str
    case: str
    shape: str
    device: str
    size: int
    flops: float
    bytes: float
    napkin: str
    variant: str
    impls: dict = field(default_factory=dict)  # name -> {"median_s", "samples_s", "inner", "rel_noise"}

    @property
    def key(self) -> str:
        return f"{self.case} | {self.shape} | {self.device}"

    @property
    def reference(self) -> str | None:
        return next((n for n in ("torch", "numpy") if n in self.impls), None)

    @property
    def speedup(self) -> float | None:
        ref = self.reference
        if ref is None or "fastnn" not in self.impls:
            return None
        return self.impls[ref]["median_s"] / self.impls["fastnn"]["median_s"]

    @property
    def unit(self) -> str:
        return "GFLOP/s" if self.flops else "GB/s"

    def rate(self, impl: str = "fastnn") -> float:
        work = self.flops if self.flops else self.bytes
        return work / self.impls[impl]["median_s"] / 1e9

    def to_json(self) -> dict:
        d = dict(vars(self))
        d["speedup"] = self.speedup
        d["unit"] = self.unit
        d["rates"] = {name: self.rate(name) for name in self.impls}
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Result":
        return cls(**{k: d[k] for k in ("family", "case", "shape", "device", "size", "flops", "bytes", "napkin",
                                        "variant", "impls")})


def rel_noise(samples: list[float]) -> float:
    """Relative spread of the samples: interquartile range / 1.349 (a sigma estimate) / median."""
    if len(samples) < 4:
        return 0.0
    q1, _, q3 = statistics.quantiles(samples, n=4)
    return (q3 - q1) / 1.349 / statistics.median(samples)


# ---------------------------------------------------------------------------------------------- devices

def gpu_status() -> tuple[bool, str]:
    """(usable, device name or the reason why not): both a CUDA device and fastnn's CUDA module are needed."""
    try:
        import torch
    except ImportError:
        return False, "torch is not installed"
    if not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        return False, f"no CUDA device visible to torch {torch.__version__} ({build})"
    if not fastnn.cuda.is_available():
        return False, fastnn.cuda.unavailable_reason()
    return True, torch.cuda.get_device_name()


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _cpu_timer(fn: Callable, inner: int) -> float:
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def _counting(timer: Callable, fn: Callable, inner: int, faults: list) -> float:
    """timer's sample, and the page faults per call (first touches of freshly mapped memory: in a VM each
    costs ~1 us, and with glibc's default malloc settings the outputs of large ops are often new mappings,
    so a call's time depends on the allocation history of the whole process; see the notes)."""
    f0 = _minor_faults()
    t = timer(fn, inner)
    faults.append((_minor_faults() - f0) / inner)
    return t


def _cuda_timer(fn: Callable, inner: int) -> float:
    import torch

    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(inner):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1e3 / inner


TIMERS = {"cpu": _cpu_timer, "cuda": _cuda_timer}


# ---------------------------------------------------------------------------------------------- running

OPENBLAS_SETTLE_S = 0.2


def measure(case: Case, device: str, repeats: int, warmup: int = 2) -> Result:
    impls = case.setup(device)
    timer = TIMERS[device]
    inner = {}
    for name, fn in impls.items():
        for _ in range(warmup):
            fn()
        once = timer(fn, 1)
        inner[name] = max(1, min(1000, math.ceil(SAMPLE_TARGET_S / max(once, 1e-9))))
    samples = {name: [] for name in impls}
    faults = {name: [] for name in impls}
    names = list(impls)
    settled = False
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            if settled:  # one untimed call: the cores clock down and caches go cold during the pause
                impls[name]()
                settled = False
            samples[name].append(_counting(timer, impls[name], inner[name], faults[name]))
            if name == "numpy" and device == "cpu":
                # numpy's OpenBLAS threads spin for a while after each call; let them go idle before the
                # next implementation runs, or it competes with them for the cores (measured: fastnn's
                # 1024^3 product took 14 ms right after numpy's, 5.3 ms otherwise).
                time.sleep(OPENBLAS_SETTLE_S)
                settled = True
    return Result(
        family=case.family, case=case.name, shape=case.shape, device=device, size=case.size, flops=case.flops,
        bytes=case.bytes, napkin=case.napkin, variant=case.variant() if device == "cpu" else "",
        impls={name: {"median_s": statistics.median(s), "samples_s": s, "inner": inner[name],
                      "rel_noise": rel_noise(s), "faults_per_call": statistics.median(faults[name])}
               for name, s in samples.items()})


def discover_cases(quick: bool = False, pattern: str | None = None) -> list[Case]:
    """Every case of every bench_<family> module of this package, optionally the quick subset / a regex."""
    from . import __path__ as here

    cases = []
    for mod in sorted(m.name for m in pkgutil.iter_modules(here) if m.name.startswith("bench_")):
        cases += importlib.import_module(f"{__package__}.{mod}").cases()
    if quick:
        cases = [c for c in cases if c.quick]
    if pattern:
        rx = re.compile(pattern)
        cases = [c for c in cases if rx.search(f"{c.family} {c.name} {c.shape}")]
    return cases


def run_suite(cases: list[Case], devices: list[str], repeats: int, progress: Callable | None = None) -> list[Result]:
    jobs = [(c, d) for c in cases for d in devices if d in c.devices]
    results = []
    for i, (case, device) in enumerate(jobs):
        if progress:
            progress(i, len(jobs), f"{case.key} | {device}")
        results.append(measure(case, device, repeats))
    if progress:
        progress(len(jobs), len(jobs), "done")
    return results
