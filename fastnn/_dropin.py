"""Machinery shared by the drop-in namespaces fastnn.nn, fastnn.optim and fastnn.functional.

Each of them is "torch's namespace, with fastnn's classes and functions where fastnn has them":
names fastnn defines are its own; every other public name of the torch namespace resolves to torch's
object (PEP 562 module __getattr__), and importing a submodule under the fastnn name
(``import fastnn.nn.init``, ``from fastnn.optim.lr_scheduler import StepLR``) gives torch's module
object itself, never a second copy of it.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
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


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)  # the import system files it under spec.name too

    def exec_module(self, module):
        pass


class _TorchSubmoduleFinder(importlib.abc.MetaPathFinder):
    """Resolves ``fastnn.nn.<x>[.<y>...]`` to ``torch.nn.<x>[.<y>...]`` when fastnn has no module of that name.

    It must run before the path finder: once ``fastnn.nn.utils`` is torch's package, the path finder
    would otherwise load ``fastnn.nn.utils.prune`` from torch's directory as a new, second module.
    """

    def __init__(self):
        self.packages: dict[str, str] = {}  # fastnn package -> torch package

    def find_spec(self, name, path=None, target=None):
        parent, _, child = name.rpartition(".")
        if parent in self.packages:
            if importlib.machinery.PathFinder.find_spec(name, path) is not None:
                return None  # fastnn's own submodule
            torch_name = f"{self.packages[parent]}.{child}"
        else:
            parent_module = sys.modules.get(parent)
            # a child of a torch module filed under a fastnn name by this finder
            if parent_module is None or parent_module.__name__ == parent or not parent.startswith(
                    tuple(self.packages)):
                return None
            torch_name = f"{parent_module.__name__}.{child}"
        if importlib.util.find_spec(torch_name) is None:
            return None
        return importlib.util.spec_from_loader(name, _AliasLoader(torch_name))


_FINDER = _TorchSubmoduleFinder()
sys.meta_path.insert(0, _FINDER)


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
    for rest, mod in overrides.items():
        sys.modules[f"{module_name}.{rest}"] = mod
        setattr(module, rest, mod)
    _FINDER.packages[module_name] = torch_module.__name__

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return getattr(torch_module, name)
        except AttributeError:
            raise AttributeError(
                f"module '{module_name}' has no attribute '{name}' (nor has {torch_module.__name__})"
            ) from None

    def __dir__():
        return sorted(set(vars(module)) | set(torch_public))

    return __getattr__, __dir__, sorted(set(torch_public) | set(own) | set(overrides))
