"""Reporting: terminal table, Markdown, JSON, PNG plots, and comparison with an earlier run."""
from __future__ import annotations

import json
import math
import os

from .harness import SCHEMA_VERSION, Result, ceiling_for

# A change is flagged when it exceeds both this floor and 3 combined standard errors of the two medians.
MIN_FLAGGED_CHANGE = 0.03
SE_OF_MEDIAN = math.sqrt(math.pi / 2)  # standard error of a median = 1.2533 * sigma / sqrt(n)


def _ms(r: Result, impl: str) -> str:
    return f"{r.impls[impl]['median_s'] * 1e3:.3f}" if impl in r.impls else ""


def _faults(r: Result) -> str:
    """Page faults per call, fastnn / reference (empty for the GPU)."""
    if r.device != "cpu":
        return ""
    return " / ".join(f"{r.impls[n].get('faults_per_call', 0):.0f}" for n in ("fastnn", r.reference) if n in r.impls)


def rows(results: list[Result], ceilings: dict) -> list[list[str]]:
    out = []
    for r in results:
        which = ceiling_for(r, ceilings)
        ceil = ceilings[which]["value"] if which else None
        rate = r.rate() if "fastnn" in r.impls else float("nan")
        out.append([
            r.case, r.shape, r.device, _ms(r, "fastnn"), _ms(r, "torch"), _ms(r, "numpy"),
            f"{r.speedup:.2f}x" if r.speedup else "",
            f"{rate:.1f} {r.unit}",
            f"{100 * rate / ceil:.0f}% {'LLC' if which == 'copy_llc' else 'mem' if which == 'copy' else 'FMA'}"
            if ceil else "-",
            _faults(r),
            r.variant,
        ])
    return out


HEADER = ["case", "shape", "device", "fastnn ms", "torch ms", "numpy ms", "speedup", "fastnn rate", "% ceiling",
          "faults/call", "fastnn kernel"]


def format_table(results: list[Result], ceilings: dict) -> str:
    body = rows(results, ceilings)
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(HEADER)]
    line = lambda cells: "  ".join(c.ljust(w) if i < 3 or i == 10 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(HEADER), line(["-" * w for w in widths])] + [line(r) for r in body])


def format_ceilings(ceilings: dict) -> str:
    fma, copy, llc = ceilings["fma"], ceilings["copy"], ceilings["copy_llc"]
    return (f"ceilings (measured now, {fma['threads']} threads): FP32 FMA {fma['value']:.1f} GFLOP/s "
            f"[{fma['kernel']}]; copy (read + write) {copy['value']:.1f} GB/s from memory "
            f"({copy['bytes'] >> 20} MiB buffers), {llc['value']:.1f} GB/s in the last-level cache "
            f"({llc['bytes'] >> 20} MiB buffers); streaming stores can exceed the memory figure by up to 1.5x")


def format_gpu(results: list[Result], gpu: dict) -> str:
    if not gpu["available"]:
        return f"GPU columns empty: {gpu['reason']}"
    by_key = {(r.case, r.shape, r.device): r for r in results}
    lines = ["CPU vs GPU (fastnn):", f"{'case':<28} {'shape':<26} {'cpu rate':>14} {'gpu rate':>14} {'gpu/cpu':>8}"]
    for (case, shape, dev), r in by_key.items():
        g = by_key.get((case, shape, "cuda"))
        if dev != "cpu" or g is None or "fastnn" not in r.impls or "fastnn" not in g.impls:
            continue
        lines.append(f"{case:<28} {shape:<26} {r.rate():>9.1f} {r.unit:<4} {g.rate():>9.1f} {g.unit:<4} "
                     f"{g.rate() / r.rate():>7.1f}x")
    return "\n".join(lines)


def markdown(report: dict, results: list[Result]) -> str:
    m = report["machine"]
    lines = [
        f"# fastnn benchmark — {report['created']}",
        "",
        f"- machine: {m['cpu']['vendor']} {m['cpu']['brand']}, ISA level {m['cpu']['isa']}, "
        f"{report['config']['threads']} fastnn threads, {m['platform']}",
        f"- versions: fastnn {report['versions']['fastnn']} (git {report['git']}), torch {report['versions']['torch']}, "
        f"numpy {report['versions']['numpy']}, Python {report['versions']['python']}",
        f"- {format_ceilings(report['ceilings'])}",
        f"- repeats: {report['config']['repeats']} (median), fastnn and references alternating in one process",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows(results, report["ceilings"])]
    lines += ["", format_gpu(results, report["gpu"]).replace("\n", "  \n")]
    return "\n".join(lines) + "\n"


def write_json(path: str, report: dict, results: list[Result]) -> None:
    with open(path, "w") as f:
        json.dump({**report, "results": [r.to_json() for r in results]}, f, indent=1)


def load_json(path: str) -> tuple[dict, list[Result]]:
    with open(path) as f:
        data = json.load(f)
    if data.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"{path}: results schema {data.get('schema')!r}, this harness reads {SCHEMA_VERSION}")
    return data, [Result.from_json(d) for d in data["results"]]


def write_plots(out_dir: str, results: list[Result], ceilings: dict) -> list[str]:
    """speedup.png (per case) and roofline.png (achieved rate vs size, against the ceilings)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    rated = [r for r in results if r.speedup]
    if rated:
        fig, ax = plt.subplots(figsize=(11, 0.35 * len(rated) + 1.5))
        labels = [r.key for r in rated]
        ax.barh(range(len(rated)), [r.speedup for r in rated],
                color=["tab:green" if r.speedup >= 1 else "tab:red" for r in rated])
        ax.axvline(1.0, color="black", lw=1)
        ax.set_yticks(range(len(rated)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("speedup of fastnn over the reference (torch, else numpy)")
        fig.tight_layout()
        paths.append(os.path.join(out_dir, "speedup.png"))
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)

    panels = [(kind, [r for r in results if r.device == "cpu" and bool(r.flops) == (kind == "fma")])
              for kind in ("copy", "fma")]  # "copy" panel: memory-bound cases, with both copy ceilings
    panels = [(k, rs) for k, rs in panels if rs]
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False)
        for ax, (kind, rs) in zip(axes[0], panels):
            unit = "GB/s" if kind == "copy" else "GFLOP/s"
            for impl, marker in (("fastnn", "o"), ("torch", "x"), ("numpy", "^")):
                pts = [(r.bytes if kind == "copy" else r.flops, r.rate(impl)) for r in rs if impl in r.impls]
                if pts:
                    ax.scatter(*zip(*pts), marker=marker, label=impl)
            for name, style in ((("copy", "--"), ("copy_llc", ":")) if kind == "copy" else (("fma", "--"),)):
                what = {"copy": "copy, memory", "copy_llc": "copy, last-level cache", "fma": "FMA peak"}[name]
                ax.axhline(ceilings[name]["value"], color="red", ls=style,
                           label=f"{what}: {ceilings[name]['value']:.0f} {unit}")
            ax.set_xscale("log")
            ax.set_xlabel("bytes moved per call" if kind == "copy" else "flops per call")
            ax.set_ylabel(unit)
            ax.set_title("memory-bound cases vs copy bandwidth" if kind == "copy" else "compute-bound cases vs FMA peak")
            ax.legend(fontsize=8)
        fig.tight_layout()
        paths.append(os.path.join(out_dir, "roofline.png"))
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths


def compare(old: list[Result], new: list[Result]) -> list[dict]:
    """fastnn's median per case, old vs new, with a verdict that accounts for each run's measured noise."""
    old_by = {r.key: r for r in old}
    out = []
    for r in new:
        o = old_by.get(r.key)
        if o is None or "fastnn" not in r.impls or "fastnn" not in o.impls:
            out.append({"key": r.key, "verdict": "new"})
            continue
        a, b = o.impls["fastnn"], r.impls["fastnn"]
        change = b["median_s"] / a["median_s"] - 1
        se = SE_OF_MEDIAN * math.hypot(a["rel_noise"] / math.sqrt(len(a["samples_s"])),
                                       b["rel_noise"] / math.sqrt(len(b["samples_s"])))
        threshold = max(MIN_FLAGGED_CHANGE, 3 * se)
        verdict = "REGRESSION" if change > threshold else "improved" if change < -threshold else "within noise"
        out.append({"key": r.key, "old_ms": a["median_s"] * 1e3, "new_ms": b["median_s"] * 1e3, "change": change,
                    "threshold": threshold, "verdict": verdict})
    new_keys = {r.key for r in new}
    out += [{"key": k, "verdict": "gone"} for k in old_by if k not in new_keys]
    return out


def format_compare(cmp: list[dict]) -> str:
    lines = [f"{'case | shape | device':<62} {'old ms':>9} {'new ms':>9} {'change':>8} {'noise':>7}  verdict"]
    for c in cmp:
        if "change" in c:
            lines.append(f"{c['key']:<62} {c['old_ms']:>9.3f} {c['new_ms']:>9.3f} {100 * c['change']:>+7.1f}% "
                         f"{100 * c['threshold']:>6.1f}%  {c['verdict']}")
        else:
            lines.append(f"{c['key']:<62} {'':>9} {'':>9} {'':>8} {'':>7}  {c['verdict']}")
    flagged = sum(c["verdict"] == "REGRESSION" for c in cmp)
    lines.append(f"{flagged} regression(s) beyond the measured noise (a change must exceed 3 combined standard "
                 f"errors of the medians and {100 * MIN_FLAGGED_CHANGE:.0f}%)")
    return "\n".join(lines)

