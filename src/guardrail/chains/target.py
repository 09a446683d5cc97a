"""A chain named by a ``MODULE:NAME`` target, as ``guardrail verify`` takes it.

``target`` is ``package.module:NAME`` (imported by module name, with the current folder on the import
path) or ``path/to/file.py:NAME``. ``NAME`` is a ``Chain`` or a function returning one. Loading imports
*your* code, as ``python -m`` would; no model output is ever imported or executed.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

from ..errors import ConfigurationError
from .chain import Chain

__all__ = ["load_chain"]


def load_chain(target: str) -> Chain:
    """The chain named by ``module:NAME`` or ``file.py:NAME``."""
    where, sep, name = target.rpartition(":")
    if not sep or not where or not name.isidentifier():
        raise ConfigurationError(
            f"cannot read the chain target {target!r}; write MODULE:NAME (e.g. my_agents.mail:SAFE) "
            "or path/to/file.py:NAME"
        )
    if where.endswith(".py") or "/" in where or "\\" in where:
        path = Path(where)
        if not path.is_file():
            raise ConfigurationError(f"chain target {target!r}: there is no file {path}")
        spec = importlib.util.spec_from_file_location(f"guardrail_chain_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ConfigurationError(f"chain target {target!r}: cannot load {path} as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        if "" not in sys.path and str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))  # like `python -m`: your modules in this folder import
        try:
            module = importlib.import_module(where)
        except ModuleNotFoundError as e:
            raise ConfigurationError(
                f"chain target {target!r}: cannot import {where!r} ({e}); run from the folder it is "
                "importable from, or give a file path (path/to/file.py:NAME)"
            ) from None
    found = getattr(module, name, None)
    if inspect.isfunction(found):  # a factory of chains
        found = found()
    if not isinstance(found, Chain):
        chains = sorted(n for n, v in vars(module).items() if isinstance(v, Chain))
        raise ConfigurationError(
            f"chain target {target!r}: {name!r} is not a Chain in {where} "
            f"(chains there: {', '.join(chains) or 'none'})"
        )
    return found
