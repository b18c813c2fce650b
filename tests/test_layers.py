"""The C++ layer rule (.ci/check_layers.py): the tree follows it, and the check catches what it is for."""
import importlib.util
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("check_layers", ROOT / ".ci" / "check_layers.py")
check_layers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_layers)


def test_the_tree_follows_the_layers():
    r = subprocess.run([sys.executable, str(ROOT / ".ci" / "check_layers.py")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_an_upward_or_sideways_include_is_reported(tmp_path):
    write(tmp_path, "core/a.h", '#include "core/b.h"\n')
    write(tmp_path, "cpu/k.cpp", '#include "core/a.h"\n#include "cpu/k.h"\n#include "ops/x.h"\n')
    write(tmp_path, "cuda/k.cu", '#include <cstdio>\n  #  include "cpu/k.h"\n')
    write(tmp_path, "bind/m.cpp", '#include "ops/x.h"\n#include "cpu/registry.h"\n')
    found = check_layers.crossings(tmp_path)
    assert found == {"cpu/k.cpp": ["ops/x.h"], "cuda/k.cu": ["cpu/k.h"], "bind/m.cpp": ["cpu/registry.h"]}
    msgs = check_layers.problems(found)
    assert len(msgs) == 3
    assert "csrc/cuda/k.cu includes cpu/k.h: cuda/ may include only core, cuda, math (see DESIGN.md)" in msgs
    assert "csrc/bind/m.cpp includes cpu/registry.h: bind/ may include only bind, core, ops (see DESIGN.md)" in msgs
