"""CUDA availability. ``import fastnn`` never touches CUDA; this module only answers questions."""

_REASON = "this fastnn build has no CUDA module (fastnn._C_cuda is not built yet)"


def is_available() -> bool:
    """Whether fastnn can run kernels on a CUDA device."""
    return False


def unavailable_reason() -> str | None:
    """Why :func:`is_available` is False, or None when it is True."""
    return None if is_available() else _REASON
