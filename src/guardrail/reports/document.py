"""A report as data: a title, a headline table, sections of tables, lists, text and plots, written once
as Markdown and as a standalone HTML page.

Every report guardrail writes (studies, evaluations, comparisons, invariants and proofs) is built as a
``Document``, so they share one look and one escaping rule: cell text is data, escaped for HTML and with
``|`` kept out of Markdown table syntax.
"""

from __future__ import annotations

import datetime as _dt
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..store import write_text_file

Cell = str | int | float


@dataclass
class Table:
    header: Sequence[str]
    rows: list[Sequence[Cell]]
    #: CSS class per row (e.g. ``winner``, ``eliminated``); shown only in HTML.
    classes: list[str] | None = None


@dataclass
class Block:
    kind: Literal["table", "list", "text", "image"]
    table: Table | None = None
    items: Sequence[str] = ()
    text: str = ""
    alt: str = ""


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    warning: bool = False


@dataclass
class Document:
    """A report: ``headline`` rows (label, value), then ``sections`` in order."""

    title: str
    headline: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str, *, warning: bool = False) -> Section:
        s = Section(title, warning=warning)
        self.sections.append(s)
        return s

    # -- writing -------------------------------------------------------------------------------------
    def write(self, folder: Path, stem: str = "report") -> dict[str, Path]:
        """``STEM.md`` and ``STEM.html`` in ``folder``; images are referenced by file name."""
        md, page = folder / f"{stem}.md", folder / f"{stem}.html"
        # Atomic and scrubbed of secrets (a model spec or an error text may carry a URL's credentials).
        write_text_file(md, self.markdown())
        write_text_file(page, self.html())
        return {"markdown": md, "html": page}

    def markdown(self) -> str:
        now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        lines = [f"# {self.title}", "", f"Written {now} on {os.uname().nodename}.", ""]
        if self.headline:
            lines += ["| | |", "|---|---|"] + [f"| {_md(k)} | {_md(v)} |" for k, v in self.headline] + [""]
        for s in self.sections:
            lines += [f"## {s.title}", ""]
            for b in s.blocks:
                lines += [*_md_block(b), ""]
        return "\n".join(lines).rstrip() + "\n"

    def html(self) -> str:
        e = html.escape
        head = "".join(f"<tr><th>{e(k)}</th><td>{_inline(v)}</td></tr>" for k, v in self.headline)
        body = "".join(_html_section(s) for s in self.sections)
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(self.title.replace("`", ""))}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
tr.winner, tr.proved, tr.proven, tr.solved, tr.passed {{ background: #e6f4ea; }}
tr.tested {{ background: #f3f8e6; }}
tr.eliminated, tr.unknown {{ color: #888; }} tr.failed, tr.error, tr.refuted {{ background: #fdecea; }}
th {{ background: #f5f5f5; }}
.warn {{ background: #fff4e5; padding: 0.5em 1em; border-left: 4px solid #f0a020; }}
</style></head><body>
<h1>{_inline(self.title)}</h1>
{f"<table>{head}</table>" if head else ""}
{body}
</body></html>
"""


def _md(text: Cell) -> str:
    return str(text).replace("|", "/").replace("\n", " ")


def _md_block(b: Block) -> list[str]:
    if b.kind == "table" and b.table is not None:
        t = b.table
        lines = ["| " + " | ".join(_md(h) for h in t.header) + " |", "|" + "---|" * len(t.header)]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in t.rows]
        return lines
    if b.kind == "list":
        return [f"- {item}" for item in b.items]
    if b.kind == "image":
        return [f"![{b.alt}]({b.text})"]
    return [b.text]


def _inline(text: Cell) -> str:
    """HTML for a cell: escaped, with Markdown `code` spans kept as <code>."""
    parts = html.escape(str(text)).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _html_block(b: Block) -> str:
    if b.kind == "table" and b.table is not None:
        t = b.table
        head = "".join(f"<th>{_inline(h)}</th>" for h in t.header)
        rows = []
        for i, row in enumerate(t.rows):
            cls = t.classes[i] if t.classes and i < len(t.classes) else ""
            attr = f" class='{html.escape(cls.replace(' ', '-'))}'" if cls else ""
            rows.append(f"<tr{attr}>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>")
        return f"<table><tr>{head}</tr>{''.join(rows)}</table>"
    if b.kind == "list":
        return "<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.items) + "</ul>"
    if b.kind == "image":
        return f'<img src="{html.escape(b.text)}" style="max-width:100%" alt="{html.escape(b.alt)}">'
    return f"<p>{_inline(b.text)}</p>"


def _html_section(s: Section) -> str:
    inner = f"<h2>{_inline(s.title)}</h2>" + "".join(_html_block(b) for b in s.blocks)
    return f'<div class="warn">{inner}</div>' if s.warning else inner


# -- building blocks ----------------------------------------------------------------------------------
def table(
    header: Sequence[str], rows: Sequence[Sequence[Cell]], classes: Sequence[str] | None = None
) -> Block:
    return Block("table", table=Table(header, [list(r) for r in rows], list(classes) if classes else None))


def bullets(items: Sequence[str]) -> Block:
    return Block("list", items=list(items))


def text(content: str) -> Block:
    return Block("text", text=content)


def image(file: str, alt: str) -> Block:
    return Block("image", text=file, alt=alt)


def pct(x: float) -> str:
    return f"{x:.1%}"
