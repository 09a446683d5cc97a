"""Where the shipped data folders (``grammars/``, ``prompts/``) live.

An installed wheel carries them inside the package (``guardrail/grammars``, ``guardrail/prompts``: the
build force-includes the repository's top-level folders there). An editable install or a plain checkout
has them only at the repository root, two levels above this file's folder. The package copy wins.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from pathlib import Path

from .errors import ConfigurationError, UnsafePathError

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


# --- files named by studies, spaces and templates ------------------------------------------------------

#: Folders no study may read from, wherever its roots are: the kernel's views of processes and devices.
SYSTEM_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))


def confined_file(
    name: str | Path,
    roots: Sequence[Path],
    *,
    what: str = "file",
    max_bytes: int | None = None,
    outside_ok: bool = False,
) -> Path | None:
    """The file ``name`` inside the first of ``roots`` that has it, or None when none has it.

    ``name`` is relative to each root in turn. It is refused (``UnsafePathError``, naming the reason) when
    it is absolute, when it leaves the roots (through ``..`` or a symlink: the *resolved* path must be
    inside one of the resolved roots; refused whether or not the file exists), when it is or goes through a
    hidden file (``.env``, ``.ssh/``), when it resolves into ``/proc``, ``/sys`` or ``/dev``, or when it is
    larger than ``max_bytes``. This is how a shared study file is kept from reading
    ``/proc/self/environ``, ``~/.ssh`` or ``../../secrets`` into a prompt.

    ``outside_ok`` is for data files (a study's suite): there an absolute path or one leaving the roots is
    allowed (data often lives elsewhere), but hidden files and folders anywhere on the way (``~/.ssh``,
    ``.env``) and the system folders are still refused.
    """
    text = str(name)
    shown = tuple(str(r) for r in roots)

    def refuse(reason: str) -> UnsafePathError:
        where = " or ".join(shown) or "(no folder)"
        return UnsafePathError(
            f"{what} {text!r} is refused: {reason}. A {what} named in a study, a prompt space or a template "
            f"must be a relative path to a file inside {where}; copy the file there",
            path=text,
            roots=shown,
            reason=reason,
        )

    if not text or "\x00" in text:
        raise refuse("it is empty or contains a NUL character")
    relative = Path(text).expanduser() if outside_ok else Path(text)
    if not outside_ok and (relative.is_absolute() or text.startswith(("/", "\\")) or relative.drive):
        raise refuse("it is an absolute path")
    if any(_hidden(part) for part in relative.parts):
        raise refuse("it names a hidden file or folder")
    escaped: str | None = None
    allowed = [root.resolve() for root in roots]
    for root, base in zip(roots, allowed, strict=True):
        candidate = (base / relative).resolve()
        if any(candidate.is_relative_to(system) for system in SYSTEM_FOLDERS):
            raise refuse(f"it resolves into the system folder {candidate}")
        inside = next((folder for folder in allowed if candidate.is_relative_to(folder)), None)
        if inside is None and not outside_ok:
            # Refused whether or not it exists: a probe must not learn which outside files exist.
            escaped = f"it leaves {root} (through '..' or a symlink) and resolves to {candidate}"
            continue
        # Below a root only the part under it is judged (the root itself may sit in ~/.cache).
        below = candidate.relative_to(inside).parts if inside is not None else candidate.parts
        if any(_hidden(part) for part in below):
            raise refuse(f"it resolves to the hidden file or folder {candidate}")
        if not candidate.is_file():
            continue
        if max_bytes is not None and candidate.stat().st_size > max_bytes:
            raise refuse(f"it is larger than {max_bytes:,} bytes")
        return candidate
    if escaped is not None:
        raise refuse(escaped)
    return None


def _hidden(part: str) -> bool:
    return part.startswith(".") and part not in (".", "..")
