"""Where the shipped data folders (``grammars/``, ``prompts/``) live.

An installed wheel carries them inside the package (``guardrail/grammars``, ``guardrail/prompts``: the
build force-includes the repository's top-level folders there). An editable install or a plain checkout
has them only at the repository root, two levels above this file's folder. The package copy wins.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from .errors import ConfigurationError

GRAMMAR_SUFFIX = ".lark"


def _shipped_dir(name: str) -> Path | None:
    packaged = importlib.resources.files("guardrail") / name
    # Wheels are installed unpacked, so the package folder is a real directory; a zipped install
    # (which would need as_file) is not a supported layout.
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    return None


def grammars_dir() -> Path:
    """The folder of the shipped ``.lark`` grammars."""
    found = _shipped_dir("grammars")
    if found is None:
        raise ConfigurationError(
            "guardrail's grammars folder is missing: reinstall guardrail (pip install --force-reinstall "
            "guardrail), or in a checkout make sure the top-level grammars/ folder exists"
        )
    return found


def prompts_dir() -> Path:
    """The folder of the shipped prompt templates and prompt spaces."""
    found = _shipped_dir("prompts")
    if found is None:
        raise ConfigurationError(
            "guardrail's prompts folder is missing: reinstall guardrail (pip install --force-reinstall "
            "guardrail), or in a checkout make sure the top-level prompts/ folder exists"
        )
    return found


def available_grammars() -> list[str]:
    """Names of the shipped grammars (file names without ``.lark``), sorted."""
    return sorted(p.stem for p in grammars_dir().glob(f"*{GRAMMAR_SUFFIX}"))


def grammar_path(name: str) -> Path:
    """The file of the shipped grammar ``name`` (``"json"`` or ``"json.lark"``)."""
    stem = name[: -len(GRAMMAR_SUFFIX)] if name.endswith(GRAMMAR_SUFFIX) else name
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        raise ConfigurationError(
            f"{name!r} is not a grammar name; give a shipped grammar's name (one of "
            f"{', '.join(available_grammars())}) or the path of a .lark file"
        )
    path = grammars_dir() / f"{stem}{GRAMMAR_SUFFIX}"
    if not path.is_file():
        raise ConfigurationError(
            f"no shipped grammar named {stem!r}; available: {', '.join(available_grammars())} "
            "(or pass the path of your own .lark file)"
        )
    return path
