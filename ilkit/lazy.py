"""Lazy package exports: ``ilkit --help`` and ``import ilkit.x`` stay fast because heavy modules
(torch, imitation, SB3) load on first use of a name, not on import of its package."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving ``names`` (``{name: module}``, module relative to
    ``package`` when it starts with a dot) on first access."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    return __getattr__


def lazy_exports_over_submodules(package: str, names: Mapping[str, str]) -> None:
    """Like :func:`lazy_exports`, for a package with a submodule named like one of its exports
    (``ilkit.evaluation.evaluate`` and the function ``evaluate``): importing the submodule
    binds it on the package, which would hide the export from a module ``__getattr__``. The
    package's module class is swapped for one that resolves ``names`` on every access."""
    import sys
    import types

    class _Exports(types.ModuleType):
        def __getattribute__(self, name: str) -> Any:
            if name in names:
                return getattr(importlib.import_module(names[name], package), name)
            return super().__getattribute__(name)

        def __dir__(self) -> list[str]:
            return sorted(set(super().__dir__()) | set(names))

    sys.modules[package].__class__ = _Exports
