"""Reports for ``guardrail invariants`` and ``guardrail specs``: the outcome of every problem (or function)
and a plot of where the time went, as Markdown and HTML.

Both are built from the runs' plain data — ``InvariantsSummary.to_dict()`` and ``SpecsSummary.to_dict()``
— not from their classes: ``reports`` sits above ``invariants`` in the layering and does not import it.
Every cell that may hold file or model text is clipped (``guardrail._text``) and escaped by ``Document``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._text import clip
from .document import Document, bullets, image, table, text

TIMES_PLOT = "times.png"
SPECS_STEM = "specs"
OUTCOMES = ("solved", "unsafe", "unknown", "error")
_COLOURS = {"solved": "#1a7f37", "unsafe": "#d4a017", "unknown": "#8c959f"}


# --- guardrail invariants ---------------------------------------------------------------------------------


def write_invariants_report(summary: Mapping[str, Any], folder: Path) -> dict[str, Path]:
    """Write ``report.md``, ``report.html`` and ``times.png`` for one ``guardrail invariants`` run."""
    folder.mkdir(parents=True, exist_ok=True)
    plot = folder / TIMES_PLOT
    plot_times(summary.get("problems", []), plot)
    return {**invariants_document(summary).write(folder), "plot": plot}


def invariants_document(summary: Mapping[str, Any]) -> Document:
    rows: Sequence[Mapping[str, Any]] = summary.get("problems", [])
    total = len(rows)
    counts = {o: sum(1 for r in rows if r.get("outcome") == o) for o in OUTCOMES}
    calls = sum(int(r.get("model_calls") or 0) for r in rows)
    headline = [
        ("problems", str(total)),
        ("solved", f"{counts['solved']}/{total} (each invariant proven by Z3 and re-certified)"),
        ("unsafe", f"{counts['unsafe']} (a concrete run breaks the assertion: no invariant exists)"),
        ("unknown", f"{counts['unknown']} (neither proven nor refuted within the budget)"),
        ("errors", f"{counts['error']} (files that could not be loaded)"),
        ("wall time", f"{float(summary.get('seconds') or 0.0):.1f} s"),
        ("model calls", str(calls)),
    ]
    if summary.get("trace"):
        headline.append(("trace", f"`{summary['trace']}`"))
    doc = Document("Loop invariants", headline=headline)
    timed = [r for r in rows if r.get("outcome") in _COLOURS]
    if timed:
        doc.section("Time").blocks += [
            text(
                "Wall time per problem by outcome (left) and how many problems were solved within a given "
                "time (right)."
            ),
            image(TIMES_PLOT, "time per problem by outcome"),
        ]
    doc.section("Problems").blocks.append(
        table(
            ["problem", "outcome", "invariant / reason", "found by", "proposals", "model calls", "seconds"],
            [_problem_row(r) for r in rows],
            classes=[str(r.get("outcome", "")) for r in rows],
        )
    )
    errors = [f"`{r.get('problem')}`: {clip(str(r.get('error', '')), 400)}" for r in rows if r.get("error")]
    if errors:
        doc.section("Errors", warning=True).blocks.append(bullets(errors))
    return doc


def _problem_row(row: Mapping[str, Any]) -> list[str]:
    detail = (
        row.get("invariant") or row.get("violation") or row.get("error") or "; ".join(row.get("notes", []))
    )
    seconds = row.get("seconds")
    return [
        f"`{row.get('problem', '?')}`",
        str(row.get("outcome", "?")),
        clip(str(detail or "").splitlines()[0] if detail else "", 200),
        str(row.get("found_by") or ""),
        str(row.get("proposals", "")),
        str(row.get("model_calls", "")),
        f"{float(seconds):.2f}" if seconds is not None else "",
    ]


def plot_times(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """A histogram of wall time per problem stacked by outcome, and the solved count against time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    by_outcome = {
        o: [float(r["seconds"]) for r in rows if r.get("outcome") == o and r.get("seconds") is not None]
        for o in _COLOURS
    }
    everything = [s for times in by_outcome.values() for s in times]
    fig, (hist, cactus) = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
    if everything:
        top = max(everything) or 1.0
        bins = [top * i / 20 for i in range(21)]
        present = [o for o in _COLOURS if by_outcome[o]]
        hist.hist(
            [by_outcome[o] for o in present],
            bins=bins,
            stacked=True,
            color=[_COLOURS[o] for o in present],
            label=[f"{o} ({len(by_outcome[o])})" for o in present],
        )
        hist.legend(fontsize=8)
        solved = sorted(by_outcome["solved"])
        cactus.step(
            [0.0, *solved, top],
            [0, *range(1, len(solved) + 1), len(solved)],
            where="post",
            color=_COLOURS["solved"],
        )
        cactus.set_xlim(0, top * 1.02)
        cactus.set_ylim(0, max(1, len(rows)))
    hist.set_xlabel("seconds per problem")
    hist.set_ylabel("problems")
    cactus.set_xlabel("seconds")
    cactus.set_ylabel("problems solved within that time")
    for ax in (hist, cactus):
        ax.grid(alpha=0.3)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- guardrail specs --------------------------------------------------------------------------------------


def write_specs_report(summary: Mapping[str, Any], folder: Path) -> dict[str, Path]:
    """Write ``specs.md`` and ``specs.html`` for one ``guardrail specs`` run."""
    return specs_document(summary).write(folder, SPECS_STEM)


def specs_document(summary: Mapping[str, Any]) -> Document:
    rows: Sequence[Mapping[str, Any]] = summary.get("functions", [])
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r.get("status"))] = counts.get(str(r.get("status")), 0) + 1
    headline = [
        ("file", f"`{summary.get('file', '?')}`"),
        ("functions", str(len(rows))),
        ("specs", ", ".join(f"{label(k)} {v}" for k, v in sorted(counts.items())) or "none"),
        ("model", str(summary.get("model") or "none")),
        ("model calls", str(summary.get("model_calls", 0))),
        ("wall time", f"{float(summary.get('seconds') or 0.0):.1f} s"),
    ]
    doc = Document(f"Specs of `{Path(str(summary.get('file', '?'))).name}`", headline=headline)
    doc.section("Functions").blocks += [
        text(
            "proven: Z3 proved the postcondition on every path under the precondition. tested, not proven: "
            "the function is outside the provable subset and passed every hypothesis test. refuted: a "
            "concrete input breaks the spec (shown). Specs and annotations are the model's proposals; only "
            "what the checks accepted is shown as such."
        ),
        table(
            ["function", "line", "spec", "requires", "ensures", "evidence", "annotations"],
            [_function_row(r) for r in rows],
            classes=[str(r.get("status", "")) for r in rows],
        ),
    ]
    answers = [line for r in rows for line in _answer_lines(r)]
    if answers:
        doc.section("What the model proposed").blocks += [
            text("Every answer, in order, with what the checks said (accepted answers say so)."),
            bullets(answers),
        ]
    return doc


def _answer_lines(row: Mapping[str, Any]) -> list[str]:
    annotation = row.get("annotation") or {}
    asked = [("annotation", a) for a in annotation.get("answers", [])] + [
        ("spec", a) for a in row.get("answers", [])
    ]
    lines = []
    for i, (kind, answer) in enumerate(asked, 1):
        said = answer.get("feedback")
        verdict = "accepted" if not said else clip(" ".join(str(said).split()), 240)
        # Model text inside a `code` span: its own backticks would end the span early.
        shown = clip(" / ".join(str(answer.get("answer", "")).split("\n")), 160).replace("`", "'")
        lines.append(f"`{row.get('function', '?')}` {kind} answer {i}: `{shown}` → {verdict}")
    return lines


def label(status: str) -> str:
    """How a spec status is shown to people."""
    return {"tested": "tested, not proven"}.get(status, status)


def _function_row(row: Mapping[str, Any]) -> list[str]:
    annotation = row.get("annotation") or {}
    shown_annotation = str(annotation.get("status", ""))
    if annotation.get("header"):
        shown_annotation += f": `{clip(str(annotation['header']), 160)}`"
    elif annotation.get("reason"):
        shown_annotation += f": {clip(str(annotation['reason']), 160)}"
    return [
        f"`{row.get('function', '?')}`",
        str(row.get("line", "")),
        label(str(row.get("status", "?"))),
        f"`{clip(str(row['pre']), 120)}`" if row.get("pre") else "",
        f"`{clip(str(row['post']), 120)}`" if row.get("post") else "",
        clip(str(row.get("message", "")), 240),
        shown_annotation,
    ]
