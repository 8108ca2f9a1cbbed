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
