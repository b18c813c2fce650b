"""Machinery shared by the drop-in namespaces fastnn.nn, fastnn.optim and fastnn.functional.

Each of them is "torch's namespace, with fastnn's classes and functions where fastnn has them":
names fastnn defines are its own; every other public name of the torch namespace resolves to torch's
object (PEP 562 module __getattr__), and torch's already-imported submodules are importable under
the fastnn name too (``import fastnn.nn.init``, ``from fastnn.optim import lr_scheduler``).
"""
from __future__ import annotations

import sys
import types


def require_torch(namespace: str):
    """Import torch, or raise an ImportError that says what needs it and how to get it."""
    try:
        import torch
    except ImportError as e:
        raise ImportError(
            f"{namespace} is a drop-in replacement for a torch namespace and needs PyTorch, which is not "
            "installed. Install it with `pip install 'fastnn[torch]'`, or use fastnn.ops, which needs only numpy."
        ) from e
    return torch


def forward_namespace(
    module_name: str,
    torch_module: types.ModuleType,
    own: list[str],
    overrides: dict[str, types.ModuleType] | None = None,
):
    """Make module `module_name` expose every public name of `torch_module` it does not define itself.

    Returns (__getattr__, __dir__, __all__) for the module to install. `own` lists the names the module
    defines itself; `overrides` maps submodule names (relative, e.g. "functional") to fastnn's own
    modules that replace torch's.
    """
    overrides = overrides or {}
    module = sys.modules[module_name]
    torch_public = [n for n in dir(torch_module) if not n.startswith("_")]
    prefix = torch_module.__name__ + "."
    for full, mod in list(sys.modules.items()):
        if full.startswith(prefix) and mod is not None:
            rest = full[len(prefix):]
            if rest.split(".")[0] not in overrides:
                sys.modules.setdefault(f"{module_name}.{rest}", mod)
    for rest, mod in overrides.items():
        sys.modules[f"{module_name}.{rest}"] = mod
        setattr(module, rest, mod)

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return getattr(torch_module, name)
        except AttributeError:
            raise AttributeError(f"module '{module_name}' has no attribute '{name}' (nor has {torch_module.__name__})") from None

    def __dir__():
        return sorted(set(vars(module)) | set(torch_public))

    return __getattr__, __dir__, sorted(set(torch_public) | set(own) | set(overrides))
