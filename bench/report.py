"""Reporting: the summary, terminal tables (compact and wide), Markdown, JSON, PNG plots, and comparison
with an earlier run."""
from __future__ import annotations

import json
import math
import os
import statistics
import textwrap

from . import ceilings as ceil
from .harness import Result

# A change is flagged when it exceeds both this floor and 3 combined standard errors of the two medians.
MIN_FLAGGED_CHANGE = 0.03
SE_OF_MEDIAN = math.sqrt(math.pi / 2)  # standard error of a median = 1.2533 * sigma / sqrt(n)
PAR = 0.05  # a speedup within 5% of 1x counts as par, neither a win nor a loss
COLUMNS = 120  # the compact table's width
MAX_PX = 2400  # no plot is larger than this in either dimension
SCHEMAS_READ = (1, 2)  # --compare reads results of these schemas (their results are alike)


# ---------------------------------------------------------------------------------------------- ratings

def rating(r: Result, ceilings: dict) -> tuple[str | None, float | None]:
    """(ceiling kind, fastnn's rate as a fraction of that ceiling), (None, None) where nothing rates it."""
    kind = ceil.kind_for(r.flops, r.bytes, r.device, ceilings)
    if kind is None or "fastnn" not in r.impls or not (r.flops or r.bytes):
        return None, None
    return kind, r.rate() / ceilings[kind]["value"]


def above_ceiling(results: list[Result], ceilings: dict) -> list[Result]:
    return [r for r in results if (rating(r, ceilings)[1] or 0) > 1.0]


def trust(ceiling_reasons: list[str], results: list[Result], ceilings: dict) -> dict:
    """Whether the run's figures can be trusted: {"noisy": bool, "reasons": [...]}."""
    reasons = list(ceiling_reasons)
    over = above_ceiling(results, ceilings)
    if over:
        reasons.append(f"{len(over)} result(s) above their ceiling: " +
                       ", ".join(f"{r.key} ({100 * rating(r, ceilings)[1]:.0f}% {rating(r, ceilings)[0]})"
                                 for r in over[:5]) + (" ..." if len(over) > 5 else ""))
    return {"noisy": bool(reasons), "reasons": reasons}


def format_trust(t: dict) -> str:
    if not t["noisy"]:
        return "run quality: the ceilings agree at the start and the end, no result is above its ceiling"
    return textwrap.fill("NOISY RUN (do not quote these figures): " + "; ".join(t["reasons"]), COLUMNS,
                         subsequent_indent="  ")


# ---------------------------------------------------------------------------------------------- summary

def summary(results: list[Result]) -> list[dict]:
    """Per (device, family), then overall: cases, geomean speedup, wins / par / losses against the reference."""
    groups: dict[tuple[str, str], list[float]] = {}
    for r in results:
        if r.speedup:
            groups.setdefault((r.device, r.family), []).append(r.speedup)
    devices = sorted({d for d, _ in groups})
    for d in devices:
        groups[(d, "all")] = [s for (dd, f), ss in groups.items() if dd == d for s in ss]

    def row(device, family, ss):
        return {"device": device, "family": family, "cases": len(ss),
                "geomean": math.exp(statistics.fmean(math.log(s) for s in ss)), "min": min(ss), "max": max(ss),
                "wins": sum(s > 1 + PAR for s in ss), "par": sum(abs(s - 1) <= PAR for s in ss),
                "losses": sum(s < 1 - PAR for s in ss)}

    fams = sorted(groups, key=lambda k: (k[0], k[1] == "all", k[1]))
    return [row(d, f, groups[(d, f)]) for d, f in fams]


def format_summary(rows: list[dict]) -> str:
    multi = len({r["device"] for r in rows}) > 1
    head = f"{'family':<14}{'device  ' if multi else ''}{'cases':>5} {'geomean':>8} {'min':>7} {'max':>7} " \
           f"{'wins':>5} {'par':>4} {'losses':>6}"
    lines = [f"summary: speedup = reference time / fastnn time (reference: torch, else numpy); "
             f"wins > {1 + PAR:.2f}x, losses < {1 - PAR:.2f}x", head, "-" * len(head)]
    for s in rows:
        lines.append(f"{s['family']:<14}{s['device'] + '     ' if multi else ''}{s['cases']:>5} {s['geomean']:>7.2f}x "
                     f"{s['min']:>6.2f}x {s['max']:>6.2f}x {s['wins']:>5} {s['par']:>4} {s['losses']:>6}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- tables

def _ms(r: Result, impl: str | None) -> str:
    return f"{r.impls[impl]['median_s'] * 1e3:.3f}" if impl in r.impls else ""


def _faults(r: Result) -> str:
    """Page faults per call, fastnn / reference (empty for the GPU)."""
    if r.device != "cpu":
        return ""
    return " / ".join(f"{r.impls[n].get('faults_per_call', 0):.0f}" for n in ("fastnn", r.reference) if n in r.impls)


def _pct(r: Result, ceilings: dict) -> str:
    kind, frac = rating(r, ceilings)
    if frac is None:
        return "-"
    return f"{100 * frac:.0f}% {kind}{' !' if frac > 1 else ''}"


WIDE = ["case", "shape", "device", "fastnn ms", "torch ms", "numpy ms", "speedup", "fastnn rate", "% ceiling",
        "faults/call", "fastnn kernel"]
COMPACT = ["case", "shape", "fastnn ms", "ref ms", "ref", "speedup", "% ceiling"]


def wide_rows(results: list[Result], ceilings: dict) -> list[list[str]]:
    return [[r.case, r.shape, r.device, _ms(r, "fastnn"), _ms(r, "torch"), _ms(r, "numpy"),
             f"{r.speedup:.2f}x" if r.speedup else "",
             f"{r.rate():.1f} {r.unit}" if "fastnn" in r.impls and (r.flops or r.bytes) else "",
             _pct(r, ceilings), _faults(r), r.variant] for r in results]


def compact_rows(results: list[Result], ceilings: dict) -> tuple[list[str], list[list[str]]]:
    multi = len({r.device for r in results}) > 1
    header = COMPACT[:2] + (["device"] if multi else []) + COMPACT[2:]
    body = []
    for r in results:
        row = [r.case, r.shape] + ([r.device] if multi else [])
        row += [_ms(r, "fastnn"), _ms(r, r.reference), r.reference or "",
                f"{r.speedup:.2f}x" if r.speedup else "", _pct(r, ceilings)]
        body.append(row)
    return header, body


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[:max(n - 1, 1)] + "…"


def format_rows(header: list[str], body: list[list[str]], left: int, width: int | None = None) -> str:
    """Aligned columns (the first `left` ones left-aligned); with `width`, the first two columns are clipped
    (ending in '…') so that no line is longer than `width`."""
    widths = [max([len(h)] + [len(row[i]) for row in body]) for i, h in enumerate(header)]
    if width is not None:
        over = sum(widths) + 2 * (len(widths) - 1) - width
        while over > 0 and max(widths[:2]) > 12:
            i = 0 if widths[0] >= widths[1] else 1
            widths[i] -= 1
            over -= 1
    line = lambda cells: "  ".join(_clip(c, w).ljust(w) if i < left else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r).rstrip() for r in body])


def format_table(results: list[Result], ceilings: dict, wide: bool = False) -> str:
    if wide:
        return format_rows(WIDE, wide_rows(results, ceilings), left=3)
    header, body = compact_rows(results, ceilings)
    return format_rows(header, body, left=len(header) - 5, width=COLUMNS)


def format_gpu(results: list[Result], gpu: dict) -> str:
    if not gpu["available"]:
        return f"GPU columns empty: {gpu['reason']}"
    by_key = {(r.case, r.shape, r.device): r for r in results}
    lines = ["CPU vs GPU (fastnn):", f"{'case':<28} {'shape':<26} {'cpu rate':>14} {'gpu rate':>14} {'gpu/cpu':>8}"]
    for (case, shape, dev), r in by_key.items():
        g = by_key.get((case, shape, "cuda"))
        if dev != "cpu" or g is None or "fastnn" not in r.impls or "fastnn" not in g.impls:
            continue
        lines.append(f"{_clip(case, 28):<28} {_clip(shape, 26):<26} {r.rate():>9.1f} {r.unit:<4} "
                     f"{g.rate():>9.1f} {g.unit:<4} {g.rate() / r.rate():>7.1f}x")
    return "\n".join(lines)


def title(report: dict) -> str:
    m, c = report["machine"], report["config"]
    return (f"{m['cpu']['vendor']} {m['cpu']['brand']}, {c['threads']} threads, torch {report['versions']['torch']}, "
            f"{report['created']}")


def markdown(report: dict, results: list[Result]) -> str:
    m = report["machine"]
    lines = [
        f"# fastnn benchmark — {report['created']}",
        "",
        f"- machine: {m['cpu']['vendor']} {m['cpu']['brand']}, ISA level {m['cpu']['isa']}, "
        f"{report['config']['threads']} fastnn threads, {m['platform']}",
        f"- versions: fastnn {report['versions']['fastnn']} (git {report['git']}), torch {report['versions']['torch']}, "
        f"numpy {report['versions']['numpy']}, Python {report['versions']['python']}",
        f"- repeats: {report['config']['repeats']} (median), fastnn and references alternating in one process",
        f"- **{format_trust(report['trust'])}**",
        "",
        "```",
        ceil.describe(report["ceilings"]),
        "```",
        "",
        "## Summary",
        "",
        "```",
        format_summary(report["summary"]),
        "```",
        "",
        "## Every case",
        "",
        "| " + " | ".join(WIDE) + " |",
        "|" + "|".join("---" for _ in WIDE) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in wide_rows(results, report["ceilings"])]
    lines += ["", format_gpu(results, report["gpu"]).replace("\n", "  \n")]
    return "\n".join(lines) + "\n"


def write_json(path: str, report: dict, results: list[Result]) -> None:
    out = []
    for r in results:
        kind, frac = rating(r, report["ceilings"])
        out.append({**r.to_json(), "ceiling": kind, "fraction_of_ceiling": frac,
                    "above_ceiling": bool(frac is not None and frac > 1)})
    with open(path, "w") as f:
        json.dump({**report, "results": out}, f, indent=1)


def load_json(path: str) -> tuple[dict, list[Result]]:
    with open(path) as f:
        data = json.load(f)
    if data.get("schema") not in SCHEMAS_READ:
        raise ValueError(f"{path}: results schema {data.get('schema')!r}, this harness reads {SCHEMAS_READ}")
    return data, [Result.from_json(d) for d in data["results"]]


# ---------------------------------------------------------------------------------------------- plots

def _log_axis_around_one(ax, speedups: list[float], margin: float = 1.15) -> None:
    """A log-scale speedup axis symmetric around 1x, ticks labelled as multiples, `margin` beyond the data."""
    import matplotlib.ticker as mt

    span = max(1.5, *(max(s, 1 / s) for s in speedups)) * margin
    ax.set_xscale("log")
    ax.set_xlim(1 / span, span)
    ticks = [t for t in (0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if 1 / span <= t <= span]
    ax.xaxis.set_major_locator(mt.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(mt.FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.xaxis.set_minor_formatter(mt.NullFormatter())
    ax.axvline(1.0, color="black", lw=1)
    ax.grid(axis="x", alpha=0.3)


def _save(fig, path: str, dpi: float = 110) -> str:
    w, h = fig.get_size_inches()
    fig.savefig(path, dpi=min(dpi, MAX_PX / max(w, h)))
    return path


def plot_summary(path: str, report: dict, results: list[Result], rows: list[dict]):
    """Every case's speedup as a dot on its family's line (log axis centred on 1x), the family's geomean as
    a bar with its value and wins/losses."""
    import matplotlib.pyplot as plt

    fams = [s for s in rows if s["family"] != "all"]
    overall = {s["device"]: s for s in rows if s["family"] == "all"}
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.45 * len(fams)), layout="constrained")
    ys = range(len(fams))
    ax.barh(ys, [s["geomean"] - 1 for s in fams], left=1, height=0.6, alpha=0.35,
            color=["tab:green" if s["geomean"] >= 1 else "tab:red" for s in fams])
    for y, s in zip(ys, fams):
        ss = [r.speedup for r in results if r.speedup and r.family == s["family"] and r.device == s["device"]]
        ax.scatter(ss, [y] * len(ss), s=14, color="black", alpha=0.6, zorder=3)
    labels = [f"{s['family']}{' (' + s['device'] + ')' if len(overall) > 1 else ''}  geomean {s['geomean']:.2f}x, "
              f"{s['wins']} won / {s['losses']} lost of {s['cases']}" for s in fams]
    ax.set_yticks(list(ys), labels)
    ax.invert_yaxis()
    _log_axis_around_one(ax, [r.speedup for r in results if r.speedup])
    ax.set_xlabel("speedup of fastnn over torch (numpy where torch has no counterpart); dots: cases, bars: geomean")
    tot = "; ".join(f"{d}: geomean {s['geomean']:.2f}x over {s['cases']} cases, {s['wins']} won, "
                    f"{s['losses']} lost" for d, s in overall.items())
    noisy = "  [NOISY RUN]" if report["trust"]["noisy"] else ""
    ax.set_title(f"fastnn vs torch: {title(report)}{noisy}\n{tot}", fontsize=10)
    out = _save(fig, path)
    plt.close(fig)
    return out


def plot_family(path: str, report: dict, family: str, device: str, rs: list[Result]):
    """One bar per case of a family, labelled with its speedup, on a log axis centred on 1x."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 1.3 + 0.3 * len(rs)), layout="constrained")
    ss = [r.speedup for r in rs]
    ax.barh(range(len(rs)), [s - 1 for s in ss], left=1, color=["tab:green" if s >= 1 else "tab:red" for s in ss])
    for y, s in enumerate(ss):
        ax.annotate(f"{s:.2f}x", (s, y), xytext=(3 if s >= 1 else -3, 0), textcoords="offset points",
                    ha="left" if s >= 1 else "right", va="center", fontsize=7)
    ax.set_yticks(range(len(rs)), [f"{r.case} | {r.shape}" for r in rs], fontsize=8)
    ax.invert_yaxis()
    _log_axis_around_one(ax, ss, margin=1.5)  # room for the value labels
    ax.set_xlabel(f"speedup of fastnn over {'torch' if all(r.reference == 'torch' for r in rs) else 'the reference'}")
    ax.set_title(f"{family} ({device}): {title(report)}", fontsize=10)
    out = _save(fig, path)
    plt.close(fig)
    return out


def plot_roofline(path: str, report: dict, results: list[Result]):
    """fastnn's rate per case against the ceilings: memory-bound cases (GB/s vs bytes per call) and
    compute-bound ones (GFLOP/s vs flops per call), every point numbered, the numbers listed beside."""
    import matplotlib.pyplot as plt
    import matplotlib.ticker as mt

    ceilings = report["ceilings"]
    panels = [(kind, [r for r in results if r.device == "cpu" and "fastnn" in r.impls
                      and (bool(r.flops) if kind == "fma" else (r.bytes > 0 and not r.flops))])
              for kind in ("bytes", "fma")]
    panels = [(k, rs) for k, rs in panels if rs]
    if not panels:
        return None
    numbered = [r for _, rs in panels for r in rs]
    number = {id(r): i + 1 for i, r in enumerate(numbered)}
    per_col = 90
    ncol = math.ceil(len(numbered) / per_col)
    height = max(5.0, 0.12 * min(len(numbered), per_col) + 1.5)
    fig = plt.figure(figsize=(6 * len(panels) + 3.6 * ncol, height), layout="constrained")
    grid = fig.add_gridspec(1, len(panels) + 1, width_ratios=[6] * len(panels) + [3.6 * ncol])
    for col, (kind, rs) in enumerate(panels):
        ax = fig.add_subplot(grid[0, col])
        unit = "GFLOP/s" if kind == "fma" else "GB/s"
        work = (lambda r: r.flops) if kind == "fma" else (lambda r: r.bytes)  # noqa: E731
        ref = [(work(r), r.rate(r.reference)) for r in rs if r.reference]
        if ref:
            ax.scatter(*zip(*ref), marker="x", color="0.6", s=16, label="torch / numpy")
        colours = {"fma": "tab:blue", "cache": "tab:blue", "memory": "tab:orange"}
        xs = [work(r) for r in rs] + [w for w, _ in ref]
        lo, hi = min(xs) / 2, max(xs) * 2
        if kind == "fma":
            roofs = [("fma", lo, hi)]
        else:  # the roof a case is rated against: cache bandwidth up to the cache found, memory beyond it
            edge = ceilings["cache"]["cache_bytes"]
            roofs = [("cache", lo, max(lo, edge)), ("memory", min(edge, hi), hi)]
        for name, x0, x1 in roofs:
            ax.hlines(ceilings[name]["value"], x0, x1, color=colours[name], lw=2,
                      label=f"{ceil.KINDS[name]} ceiling: {ceilings[name]['value']:.0f} {unit}")
        ax.set_xlim(lo, hi)
        for r in rs:
            which, frac = rating(r, ceilings)
            colour = "tab:red" if frac and frac > 1 else colours.get(which, "black")
            ax.scatter(work(r), r.rate(), color=colour, s=18, zorder=3)
            ax.annotate(str(number[id(r)]), (work(r), r.rate()), xytext=(2, 2), textcoords="offset points",
                        fontsize=6)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(mt.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(mt.FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))
        ax.set_xlabel("flops per call" if kind == "fma" else "bytes moved per call")
        ax.set_ylabel(f"fastnn {unit}")
        ax.set_title("compute-bound cases vs the FMA ceiling" if kind == "fma" else
                     "memory-bound cases vs cache / memory bandwidth", fontsize=10)
        ax.legend(fontsize=7, loc="lower right")
        ax.grid(alpha=0.3, which="both")
    key = fig.add_subplot(grid[0, len(panels)])
    key.axis("off")
    names = [f"{number[id(r)]:>3}  {_clip(r.case + ' | ' + r.shape, 52)}" for r in numbered]
    for c in range(ncol):
        key.text(c / ncol, 1.0, "\n".join(names[c * per_col:(c + 1) * per_col]), va="top", ha="left",
                 family="monospace", fontsize=6.5, transform=key.transAxes)
    fig.suptitle(f"fastnn's rates against the measured ceilings (red: above its ceiling): {title(report)}",
                 fontsize=10)
    out = _save(fig, path)
    plt.close(fig)
    return out


def write_plots(out_dir: str, report: dict, results: list[Result], rows: list[dict],
                per_family_from: int = 20) -> list[str]:
    """summary.png, roofline.png and, when the run has at least `per_family_from` rated cases,
    speedup_<family>.png for every family with more than one."""
    import matplotlib

    matplotlib.use("Agg")
    rated = [r for r in results if r.speedup]
    paths = []
    if rated:
        paths.append(plot_summary(os.path.join(out_dir, "summary.png"), report, rated, rows))
        if len(rated) >= per_family_from:
            for s in rows:
                rs = [r for r in rated if r.family == s["family"] and r.device == s["device"]]
                if s["family"] != "all" and len(rs) > 1:
                    name = f"speedup_{s['family']}{'' if s['device'] == 'cpu' else '_' + s['device']}.png"
                    paths.append(plot_family(os.path.join(out_dir, name), report, s["family"], s["device"], rs))
    roof = plot_roofline(os.path.join(out_dir, "roofline.png"), report, results)
    return paths + ([roof] if roof else [])


# ---------------------------------------------------------------------------------------------- compare

def judge(a: dict, b: dict) -> dict:
    """fastnn's medians of two measurements of one case: relative change, the noise threshold, a verdict."""
    change = b["median_s"] / a["median_s"] - 1
    se = SE_OF_MEDIAN * math.hypot(a["rel_noise"] / math.sqrt(len(a["samples_s"])),
                                   b["rel_noise"] / math.sqrt(len(b["samples_s"])))
    threshold = max(MIN_FLAGGED_CHANGE, 3 * se)
    verdict = "REGRESSION" if change > threshold else "improved" if change < -threshold else "within noise"
    return {"old_ms": a["median_s"] * 1e3, "new_ms": b["median_s"] * 1e3, "change": change,
            "threshold": threshold, "verdict": verdict}


def compare(old: list[Result], new: list[Result]) -> list[dict]:
    """fastnn's median per case, old vs new, with a verdict that accounts for each run's measured noise."""
    old_by = {r.key: r for r in old}
    out = []
    for r in new:
        o = old_by.get(r.key)
        if o is None or "fastnn" not in r.impls or "fastnn" not in o.impls:
            out.append({"key": r.key, "verdict": "new"})
            continue
        out.append({"key": r.key, **judge(o.impls["fastnn"], r.impls["fastnn"])})
    new_keys = {r.key for r in new}
    out += [{"key": k, "verdict": "gone"} for k in old_by if k not in new_keys]
    return out


def confirm(entry: dict, old: Result, reruns: list[Result]) -> dict:
    """A verdict stands only if every rerun of the case (fastnn and the reference alternating, A/B/A/B)
    gives it too. A change must also show in fastnn's time relative to the reference measured beside it,
    which cancels a machine that has become slower or faster as a whole. Otherwise: 'unconfirmed'."""
    direction = entry["verdict"]
    ok = True
    for rr in reruns:
        ok &= judge(old.impls["fastnn"], rr.impls["fastnn"])["verdict"] == direction
        if direction != "within noise" and old.speedup and rr.speedup:
            relative = old.speedup / rr.speedup - 1  # > 0: fastnn got slower relative to the reference
            ok &= relative > MIN_FLAGGED_CHANGE if direction == "REGRESSION" else relative < -MIN_FLAGGED_CHANGE
    return {**entry, "reruns": len(reruns), "rerun_ms": [rr.impls["fastnn"]["median_s"] * 1e3 for rr in reruns],
            "verdict": direction if ok else f"unconfirmed ({direction.lower()} not repeated)"}


def format_compare(cmp: list[dict], old_trust: dict | None = None, new_trust: dict | None = None) -> str:
    lines = []
    if old_trust and old_trust.get("noisy"):
        lines.append("the earlier run was flagged noisy: " + "; ".join(old_trust["reasons"]))
    if new_trust and new_trust.get("noisy"):
        # reruns inside one noisy stretch can repeat the noise: a slowdown that hits fastnn's two threads
        # harder than torch's op passes both checks (measured: unchanged pool kernels "regressed" 44-72%)
        lines.append("this run is flagged noisy: its verdicts, confirmed ones included, may be the machine's; "
                     "compare again on a quiet machine, or A/B in alternating processes")
    lines.append(f"{'case | shape | device':<62} {'old ms':>9} {'new ms':>9} {'change':>8} {'noise':>7}  verdict")
    for c in cmp:
        if "change" in c:
            rerun = f" (reruns: {', '.join(f'{m:.3f}' for m in c['rerun_ms'])} ms)" if c.get("reruns") else ""
            lines.append(f"{_clip(c['key'], 62):<62} {c['old_ms']:>9.3f} {c['new_ms']:>9.3f} "
                         f"{100 * c['change']:>+7.1f}% {100 * c['threshold']:>6.1f}%  {c['verdict']}{rerun}")
        else:
            lines.append(f"{_clip(c['key'], 62):<62} {'':>9} {'':>9} {'':>8} {'':>7}  {c['verdict']}")
    flagged = sum(c["verdict"] == "REGRESSION" for c in cmp)
    lines.append(f"{flagged} regression(s) beyond the measured noise (a change must exceed 3 combined standard "
                 f"errors of the medians and {100 * MIN_FLAGGED_CHANGE:.0f}%, and repeat when the case is rerun)")
    return "\n".join(lines)
