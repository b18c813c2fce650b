"""The README's install commands, run in the order written, give a tree where the tests and the benchmark
both work; CI runs exactly those commands in that order; and the test suite refuses to run without the
emulator module instead of passing without it."""
import pathlib
import re
import sys

import pytest

import conftest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def readme_pip_commands() -> list[str]:
    """Every `pip install` line of the README's shell blocks, in order, without its comment; blocks that make
    a virtual environment of their own (the development loop's) are a separate tree and left out."""
    text = (ROOT / "README.md").read_text()
    cmds = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        if "-m venv" in block:
            continue
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("pip install"):
                cmds.append(line)
    return cmds


def test_ci_runs_the_readme_install_commands_in_order():
    user = readme_pip_commands()
    assert user, "no pip install command found in README.md"
    ci = [" ".join(line.split()) for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    at = -1
    for cmd in user:
        hits = [i for i, line in enumerate(ci) if line.startswith("pip install") and
                line.replace(" --quiet", "") == cmd]
        assert hits, f".ci/run does not run the README's `{cmd}`"
        assert hits[0] > at, f".ci/run runs the README's `{cmd}` out of the README's order"
        at = hits[0]
    # the last install is the test install, which keeps the emulator module the tests need
    assert "FASTNN_CUDA_EMU=ON" in user[-1] and "[test]" in user[-1]
    # and the benchmark's own dependencies are in it too, so fastnn-bench works in that tree
    pyproject = (ROOT / "pyproject.toml").read_text()
    test_deps = re.search(r"^test = \[(.*?)\]", pyproject, flags=re.S | re.M).group(1)
    bench_deps = re.search(r"^bench = \[(.*?)\]", pyproject, flags=re.M).group(1)
    for dep in re.findall(r'"([a-z]+)', bench_deps):
        assert f'"{dep}' in test_deps, f"the test extra lacks the bench dependency {dep}"


def test_suite_refuses_to_run_without_the_emulator_module(monkeypatch):
    assert conftest.emulator_missing() is None  # this run has it
    import fastnn

    monkeypatch.delattr(fastnn, "_C_cuda_emu", raising=False)
    monkeypatch.setitem(sys.modules, "fastnn._C_cuda_emu", None)  # import now raises ImportError
    assert conftest.emulator_missing()
    with pytest.raises(pytest.UsageError, match=re.escape(conftest.REINSTALL)):
        conftest.pytest_configure(None)
