"""The machine's ceilings, measured by fastnn's native code at the start and at the end of a run.

- ``fma``: FP32 FMA throughput on every thread (GFLOP/s), the ceiling of cases rated by their flops.
- ``cache``: the best copy, read or in-place update bandwidth (``fastnn._C.measure_bandwidth_gbps``;
  each counts bytes read plus bytes written) with buffers that fit the cache the CPU really has. The
  cache is found by probing, not read from the CPU's description: a VM may report a last-level cache it
  does not give (300 MiB on one Xeon, where "cache" buffers of 75 MiB measured memory). Copy bandwidth is
  measured at doubling buffer sizes until it has dropped to the memory level; the cache found is the
  largest working set still above the geometric midpoint of the best (in-cache) and the memory figures.
- ``memory``: the same three patterns on a working set four times the cache found (at least 128 MiB).
  Copy through the cache also reads each destination line, uncounted; read and in-place update move
  only what they count, as an optimizer step or a kernel with streaming stores does, so the best of the
  three bounds every case.

A memory-bound case is rated against ``cache`` when its bytes per call fit the cache found, else against
``memory``, whatever its family. The end-of-run figures are compared with the start's: when any differs by
more than its CEILING_TOLERANCE the run is flagged noisy (a neighbour was busy), and so is a run in which a
result exceeds its ceiling. Results are rated against the higher of the two measurements.
"""
from __future__ import annotations

import math
import time

import fastnn

# Start and end figures further apart than this flag the run noisy. Bandwidth varies more between two
# quiet measurements than FMA throughput (memory: 55-64 GB/s within a minute on a 2-vCPU EPYC, FMA +-1%).
CEILING_TOLERANCE = {"fma": 0.10, "cache": 0.15, "memory": 0.15}
MIB = 1 << 20
PROBE_FIRST = 128 << 10  # per buffer
PROBE_LAST = 512 * MIB  # per buffer: the probe stops long before on any real machine (see _at_memory_level)
MEMORY_BURSTS, MEMORY_GAP_S = 3, 0.5
KINDS = {"fma": "FP32 FMA", "cache": "cache bandwidth", "memory": "memory bandwidth"}


def _reps(nbytes: int, traffic: int) -> int:
    return max(5, min(200, traffic // max(nbytes, 1)))


def _bandwidth(pattern: str, nbytes: int, traffic: int) -> float:
    return fastnn._C.measure_bandwidth_gbps(nbytes, _reps(nbytes, traffic), pattern)["value"]


def _at_memory_level(values: list[float]) -> bool:
    """The last two probes are both far below the best one and close to each other: memory reached."""
    if len(values) < 4:
        return False
    a, b, best = values[-2], values[-1], max(values)
    return max(a, b) < 0.6 * best and abs(a - b) <= 0.15 * max(a, b)


def knee(probe: list[tuple[int, float]]) -> int:
    """The largest working set (bytes) of a (working set, GB/s) probe whose bandwidth is above the geometric
    midpoint of the best figure and the memory figure (the mean of the last two probes); the whole probe's
    range when bandwidth never drops (no cache effect seen)."""
    values = [v for _, v in probe]
    best, mem = max(values), sum(values[-2:]) / len(values[-2:])
    if best < 1.25 * mem:
        return probe[-1][0]
    mid = math.sqrt(best * mem)
    return max(ws for ws, v in probe if v >= mid)


def probe_cache(quick: bool) -> list[tuple[int, float]]:
    """(working set = 2 buffers, copy GB/s) at doubling buffer sizes until bandwidth is at the memory level."""
    traffic = (256 if quick else 1024) * MIB
    probe, size = [], PROBE_FIRST
    while size <= PROBE_LAST:
        probe.append((2 * size, _bandwidth("copy", size, traffic)))
        if _at_memory_level([v for _, v in probe]):
            break
        size *= 2
    return probe


def _fma(quick: bool) -> dict:
    return fastnn._C.measure_fma_gflops(0.3 if quick else 1.5)


def _figures(working_set: int, traffic: int) -> dict:
    """Copy, read and in-place update bandwidth over one working set, and the best of them."""
    f = {"copy": _bandwidth("copy", working_set // 2, traffic), "read": _bandwidth("read", working_set, traffic),
         "update": _bandwidth("update", working_set, traffic)}
    return {**f, "value": max(f.values())}


def _cache_figures(working_set: int, quick: bool) -> dict:
    return _figures(working_set, (256 if quick else 1024) * MIB)


def _memory_figures(working_set: int, quick: bool) -> dict:
    """The best of MEMORY_BURSTS measurements MEMORY_GAP_S apart: the memory bandwidth a VM gets swings
    with its neighbours over seconds (55-60 or 95-105 GB/s on a 2-vCPU EPYC, a few seconds each), and
    one burst would land in either."""
    best = None
    for i in range(MEMORY_BURSTS):
        if i:
            time.sleep(MEMORY_GAP_S)
        f = _figures(working_set, (2 if quick else 4) * working_set)
        best = f if best is None or f["value"] > best["value"] else best
    return best


def measure(quick: bool) -> dict:
    """The start-of-run ceilings (see the module's docstring for what each is)."""
    fma = _fma(quick)
    probe = probe_cache(quick)
    cache_bytes = knee(probe)
    in_cache = max((p for p in probe if p[0] <= cache_bytes), key=lambda p: p[1])[0]
    memory = min(max(4 * cache_bytes, 128 * MIB), 2 * PROBE_LAST)
    common = {"unit": "GB/s", "threads": fma["threads"], "kernel": "best of copy, read and in-place update"}
    return {
        "fma": fma,
        "cache": {**_cache_figures(in_cache, quick), **common, "working_set": in_cache, "cache_bytes": cache_bytes,
                  "reported_llc_bytes": fastnn.cpu_info()["llc_bytes"], "probe": [list(p) for p in probe]},
        "memory": {**_memory_figures(memory, quick), **common, "working_set": memory},
    }


def remeasure(ceilings: dict, quick: bool) -> list[str]:
    """Measure each ceiling again (end of run) and rate against the higher figure; returns the reasons, if
    any, to call the run noisy because start and end disagree."""
    again = {"fma": _fma(quick)["value"],
             "cache": _cache_figures(ceilings["cache"]["working_set"], quick)["value"],
             "memory": _memory_figures(ceilings["memory"]["working_set"], quick)["value"]}
    reasons = []
    for kind, end in again.items():
        c = ceilings[kind]
        start = c.setdefault("start", c["value"])
        c["end"] = end
        c["value"] = max(start, end)
        if abs(end - start) > CEILING_TOLERANCE[kind] * max(start, end):
            reasons.append(f"{KINDS[kind]} ceiling {start:.1f} at the start, {end:.1f} at the end "
                           f"(more than {100 * CEILING_TOLERANCE[kind]:.0f}% apart)")
    return reasons


def kind_for(flops: float, nbytes: float, device: str, ceilings: dict) -> str | None:
    """Which ceiling rates a case: FMA for compute, else cache or memory bandwidth by its bytes per call."""
    if device != "cpu" or not ceilings:
        return None
    if flops:
        return "fma"
    return "cache" if nbytes <= ceilings["cache"]["cache_bytes"] else "memory"


def describe(ceilings: dict) -> str:
    """The ceilings, a line each (at most ~110 characters)."""
    fma, cache, mem = ceilings["fma"], ceilings["cache"], ceilings["memory"]

    def figure(c, unit):
        ends = f" (start {c['start']:.1f}, end {c['end']:.1f})" if "end" in c else ""
        return f"{c['value']:>7.1f} {unit}{ends}"

    return "\n".join([
        f"ceilings ({fma['threads']} threads; measured at the start and the end, rated against the higher):",
        f"  FP32 FMA {figure(fma, 'GFLOP/s')} [{fma['kernel']}]",
        f"  cache    {figure(cache, 'GB/s')} on {cache['working_set'] / MIB:.3g} MiB; cache found by probing: "
        f"{cache['cache_bytes'] / MIB:.3g} MiB (reported: {cache['reported_llc_bytes'] / MIB:.3g} MiB)",
        f"  memory   {figure(mem, 'GB/s')} on {mem['working_set'] / MIB:.0f} MiB (best of copy, read, in-place update)",
    ])
