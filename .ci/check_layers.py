#!/usr/bin/env python3
"""The C++ layers of csrc/ (DESIGN.md): each folder may include only itself and the folders below it.

    core  <  math  <  cpu | cuda  <  ops  <  bind

cpu and cuda are siblings (neither includes the other); ops includes the kernel folders it dispatches to
(ops/*_cuda.cpp, the CUDA side of each family, are built into the CUDA modules only); bind (pybind11)
includes ops and core, never a kernel folder. An #include "<folder>/..." outside these rules fails the
check. Run by .ci/run and by tests/test_layers.py; exits 1 with one line per crossing.
"""
from __future__ import annotations

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1] / "csrc"
ALLOWED = {
    "core": {"core"},
    "math": {"core", "math"},
    "cpu": {"core", "math", "cpu"},
    "cuda": {"core", "math", "cuda"},
    "ops": {"core", "math", "cpu", "cuda", "ops"},
    "bind": {"core", "ops", "bind"},
}
SOURCES = (".h", ".cpp", ".cu", ".cuh")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/([^"]+)"', re.M)


def crossings(root: pathlib.Path = ROOT) -> dict[str, list[str]]:
    """file (relative to csrc/) -> its includes that leave the file's allowed folders, sorted."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.suffix not in SOURCES:
            continue
        rel = path.relative_to(root).as_posix()
        layer = rel.split("/", 1)[0]
        if layer not in ALLOWED:  # a new folder must be given its place first
            raise SystemExit(f"check_layers: {rel} is in no known layer (add its folder to ALLOWED)")
        bad = sorted(f"{top}/{rest}" for top, rest in INCLUDE.findall(path.read_text())
                     if top in ALLOWED and top not in ALLOWED[layer])
        if bad:
            out[rel] = bad
    return out


def problems(found: dict[str, list[str]]) -> list[str]:
    return [f"csrc/{rel} includes {inc}: {rel.split('/', 1)[0]}/ may include only "
            f"{', '.join(sorted(ALLOWED[rel.split('/', 1)[0]]))} (see DESIGN.md)"
            for rel, incs in found.items() for inc in incs]


def main() -> int:
    msgs = problems(crossings())
    for m in msgs:
        print(m)
    if msgs:
        return 1
    print("check_layers: every #include of csrc/ follows the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
