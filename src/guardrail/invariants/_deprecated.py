"""How ``invariants`` keeps old spellings working for one release, each with a ``DeprecationWarning``.

* ``moved(old, new, renamed)``: the ``__getattr__`` of a shim module left at an old path. It warns once,
  when the shim is imported, and forwards every attribute to the module's new home; ``renamed`` maps old
  names to new ones (each use of an old name warns again).
* ``DeprecatedSpellings``: ``to_json()`` and ``as_dict()`` on the classes that now only have ``to_dict()``.

Only the standard library is imported here, so every module of the package can use it.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def moved(old: str, new: str, *more: str, renamed: Mapping[str, str] | None = None) -> Callable[[str], Any]:
    """Warn that module ``old`` moved to ``new`` (and, for some names, to the modules ``more``); return the
    ``__getattr__`` that looks names up there, in that order."""
    warnings.warn(
        f"{old} is deprecated and goes away in the next release; import from {new} instead",
        DeprecationWarning,
        stacklevel=3,
    )
    targets = [importlib.import_module(name) for name in (new, *more)]
    names = dict(renamed or {})

    def forward(name: str) -> Any:
        wanted = names.get(name, name)
        for target in targets:
            if hasattr(target, wanted):
                if wanted != name:
                    warnings.warn(
                        f"{old}.{name} is deprecated; it is now {target.__name__}.{wanted}",
                        DeprecationWarning,
                        stacklevel=3,
                    )
                return getattr(target, wanted)
        raise AttributeError(f"module {old!r} has no attribute {name!r} (it moved to {new})")

    return forward


def renamed_attribute(module: str, old: str, new: str, value: Any) -> Any:
    """``value``, warning that ``module.old`` is now ``new`` (for a package's ``__getattr__``)."""
    warnings.warn(
        f"{module}.{old} is deprecated and goes away in the next release; use {new} instead",
        DeprecationWarning,
        stacklevel=3,
    )
    return value


class DeprecatedSpellings:
    """``to_json()`` and ``as_dict()``, the old spellings of ``to_dict()`` (one release, with a warning)."""

    def to_dict(self) -> Any:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def to_json(self) -> Any:
        warnings.warn(
            f"{type(self).__name__}.to_json() is deprecated; use to_dict()", DeprecationWarning, stacklevel=2
        )
        return self.to_dict()

    def as_dict(self) -> Any:
        warnings.warn(
            f"{type(self).__name__}.as_dict() is deprecated; use to_dict()", DeprecationWarning, stacklevel=2
        )
        return self.to_dict()
