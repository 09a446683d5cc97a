"""The one way the loaders report a broken problem file: ``FILE:LINE: what is wrong``, as a
``DataFileError`` that carries ``path`` and ``line`` for programs."""

from __future__ import annotations

from pathlib import Path

from ...errors import DataFileError


def file_error(where: str | Path, line: int | None, message: str, column: int | None = None) -> DataFileError:
    """``DataFileError("where:line[:column]: message", path=where, line=line)``."""
    position = "" if line is None else f":{line}" + (f":{column}" if column is not None else "")
    return DataFileError(f"{where}{position}: {message}", path=where, line=line)
