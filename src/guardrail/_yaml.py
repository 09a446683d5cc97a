"""Reading YAML that someone else may have written: the one YAML loader guardrail uses.

``yaml.safe_load`` builds no Python objects, but it does expand aliases: a 610-byte file of nested
``&a [*a, *a, ...]`` anchors is a graph of a few nodes that every consumer (pydantic, ``json.dumps``, a
prompt space's cross product) walks as a tree of billions. Here the composed graph is measured first
(each node counted once per path that reaches it, as a consumer would see it) and refused beyond
``MAX_EXPANDED_NODES``, before anything is constructed; files beyond ``MAX_BYTES`` are not read at all,
and nesting beyond what the parser can recurse through is an error, not a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import DataFileError

#: Largest YAML file read (a suite of tens of thousands of cases fits easily).
MAX_BYTES = 64 * 1024 * 1024
#: Most nodes the document may have with every alias expanded.
MAX_EXPANDED_NODES = 5_000_000


def load_text(text: str, *, source: str | Path) -> tuple[Any, yaml.Node | None]:
    """The data of the YAML document ``text`` and its node graph (for line numbers); ``source`` names it
    in errors. Raises ``DataFileError`` for invalid YAML and for documents too large once expanded."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        expanded = expanded_size(node, MAX_EXPANDED_NODES)
        if expanded > MAX_EXPANDED_NODES:
            raise DataFileError(
                f"{source}: the YAML document expands to more than {MAX_EXPANDED_NODES:,} nodes once its "
                "aliases (*name) are resolved; refusing to load it (an alias bomb, or a file that should "
                "be split or written without aliases)",
                path=source,
            )
        return loader.construct_document(node), node
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        where = f", line {line}" if line is not None else ""
        raise DataFileError(f"{source}{where}: not valid YAML: {exc}", path=source, line=line) from None
    except RecursionError:
        raise DataFileError(
            f"{source}: the YAML document is nested too deeply to read", path=source
        ) from None
    finally:
        loader.dispose()


def load_file(path: str | Path, *, what: str = "YAML file") -> tuple[Any, yaml.Node | None]:
    """``load_text`` of the file at ``path`` (``what`` says what it is, for errors)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise DataFileError(
                f"{what} {str(p)!r} is {size:,} bytes; the largest YAML file guardrail reads is "
                f"{MAX_BYTES:,} bytes",
                path=p,
            )
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"cannot read {what} {str(p)!r}: {exc.strerror}", path=p) from None
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{what} {str(p)!r} is not UTF-8 text: {exc.reason}", path=p) from None
    return load_text(text, source=p)


def load(path: str | Path, *, what: str = "YAML file") -> Any:
    """Just the data of ``load_file``."""
    return load_file(path, what=what)[0]


def expanded_size(root: yaml.Node, limit: int) -> int:
    """How many nodes a consumer walking ``root`` as a tree visits (aliases counted at each use), or a
    number above ``limit`` as soon as that is certain (a node that contains itself counts as unbounded)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    # Iterative post-order walk: (node, children expanded yet?)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            on_path.discard(key)
            total = 1 + sum(sizes[id(c)] for c in _children(node))
            sizes[key] = min(total, limit + 1)
            continue
        if key in sizes:
            continue
        if key in on_path:
            return limit + 1  # recursive: `&a [*a]`
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                return limit + 1
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
