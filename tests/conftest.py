"""Checks before any test runs: the suite needs fastnn installed with its test-only emulator module."""
import pytest

REINSTALL = "pip install '.[test]' -Ccmake.define.FASTNN_CUDA_EMU=ON"


def emulator_missing() -> str | None:
    """Why fastnn._C_cuda_emu cannot be imported (None when it can)."""
    try:
        from fastnn import _C_cuda_emu  # noqa: F401
    except ImportError as e:
        return str(e)
    return None


def pytest_configure(config):
    why = emulator_missing()
    if why is not None:
        # The CUDA kernels are tested on the CPU through this module: without it a third of the suite
        # would not run, so the run stops here instead of passing without it.
        raise pytest.UsageError(
            f"fastnn is installed without its test-only CUDA emulator module ({why}); the tests need it. "
            f"Reinstall from the checkout with: {REINSTALL}")
