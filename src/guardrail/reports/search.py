"""Study reports: Markdown and HTML with a plot of accuracies (with intervals) and calls spent."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ..search.study import CandidateResult, StudyResult
from .document import Document, Section, bullets, image, table, text

PLOT_FILE = "accuracy.png"


def write_report(result: StudyResult, folder: Path) -> dict[str, Path]:
    """Write ``report.md``, ``report.html`` and ``accuracy.png`` into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    plot = folder / PLOT_FILE
    plot_accuracies(result, plot)
    return {**study_document(result).write(folder), "plot": plot}


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _interval(r: CandidateResult) -> str:
    if r.n == 0:
        return "–"
    return f"{_pct(r.interval.estimate)} [{_pct(r.interval.low)}, {_pct(r.interval.high)}]"


def _savings(result: StudyResult) -> str:
    if result.calls_spent <= 0:
        return ""
    return f" ({result.grid_calls / result.calls_spent:.1f}× fewer)"


def _headline(result: StudyResult) -> list[tuple[str, str]]:
    w = result.winner
    rows = [
        ("winner", f"`{w.id}` — {w.label}"),
        ("validation accuracy", f"{_interval(w)} on {w.n} cases ({result.confidence:.0%} Wilson interval)"),
    ]
    if w.test is not None:
        rows.append(
            (
                "test accuracy",
                f"{_pct(w.test.estimate)} [{_pct(w.test.low)}, {_pct(w.test.high)}] on {w.test_n} cases",
            )
        )
        rows.append(("validation − test gap", f"{w.interval.estimate - w.test.estimate:+.1%}"))
    if result.comparison is not None and result.runner_up is not None:
        c = result.comparison
        rows.append(
            (
                "best − runner-up",
                f"{c.difference:+.1%}, {c.confidence:.0%} paired bootstrap interval "
                f"[{c.low:+.1%}, {c.high:+.1%}], exact McNemar p = {c.p_value:.3g} "
                f"(runner-up `{result.runner_up.id}`, {c.n} shared cases)",
            )
        )
    rows += [
        ("calls spent", f"{result.calls_spent:,} (a full grid: {result.grid_calls:,}){_savings(result)}"),
        ("strategy", f"{result.strategy}: {result.stopped}"),
        ("model", result.model),
        ("splits", ", ".join(f"{k} {v}" for k, v in result.split_sizes.items())),
        ("this run", ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result.counters.to_dict().items())),
    ]
    return rows


def study_document(result: StudyResult) -> Document:
    doc = Document(f"Study `{result.name}`", headline=_headline(result))
    doc.sections.append(
        Section("Accuracy", [image(PLOT_FILE, "validation accuracy with intervals and calls")])
    )
    if result.warnings:
        doc.section("Warnings", warning=True).blocks.append(bullets(result.warnings))
    candidates = doc.section("Candidates")
    candidates.blocks += [
        text(
            "Validation accuracy on the cases each candidate was evaluated on "
            "(racing stops evaluating a candidate once it is shown worse)."
        ),
        table(
            ["#", "id", "candidate", "status", "cases", "accuracy [interval]", "errors"],
            [
                [
                    i,
                    f"`{r.id}`",
                    r.label,
                    r.status + (f" at n={r.eliminated_at}" if r.eliminated_at else ""),
                    r.n,
                    _interval(r),
                    r.errors,
                ]
                for i, r in enumerate(result.candidates, 1)
            ],
            classes=[r.status for r in result.candidates],
        ),
    ]
    reads = [
        f"read at {_dt.datetime.fromtimestamp(float(read['at'])).strftime('%Y-%m-%d %H:%M:%S')} for "
        f"{', '.join(f'`{c}`' for c in read['candidates'])} ({read['n']} cases): {read['reason']}"
        for read in result.test_reads
    ]
    doc.section("Test split").blocks.append(bullets(reads or ["never read"]))
    if result.case_errors:
        errors = [f"`{e['candidate']}` on `{e['case']}`: {e['error']}" for e in result.case_errors[:30]]
        if len(result.case_errors) > 30:
            errors.append(f"... and {len(result.case_errors) - 30} more (see results.jsonl)")
        doc.section("Case errors").blocks.append(bullets(errors))
    if result.winner_files:
        files = [f"{k}: `{Path(v).name}`" for k, v in result.winner_files.items()]
        doc.section("The winning prompt").blocks.append(bullets(files))
    return doc


def markdown_report(result: StudyResult) -> str:
    return study_document(result).markdown()


def html_report(result: StudyResult) -> str:
    return study_document(result).html()


def plot_accuracies(result: StudyResult, path: Path) -> None:
    """Validation accuracy with intervals per candidate (winner highlighted, its test accuracy marked),
    and the calls each candidate cost."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result.candidates if r.n > 0]
    rows.sort(key=lambda r: r.interval.estimate)
    height = max(3.0, 0.28 * len(rows) + 1.5)
    fig, (ax, bx) = plt.subplots(
        1, 2, figsize=(12, height), sharey=True, layout="constrained", gridspec_kw={"width_ratios": [3, 1.3]}
    )
    ys = list(range(len(rows)))
    for y, r in zip(ys, rows, strict=True):
        colour = "#1a7f37" if r.status == "winner" else ("#999999" if r.status == "eliminated" else "#1f6feb")
        ax.errorbar(
            r.interval.estimate,
            y,
            xerr=[[r.interval.estimate - r.interval.low], [r.interval.high - r.interval.estimate]],
            fmt="o",
            color=colour,
            capsize=3,
            markersize=4,
        )
        if r.test is not None:
            ax.plot(
                r.test.estimate,
                y,
                marker="D",
                color="#d1242f",
                markersize=5,
                label="test accuracy" if r.status == "winner" else None,
            )
        bx.barh(y, r.n, color=colour)
    ax.set_yticks(ys)
    ax.set_yticklabels([f"{r.id} {r.label[:60]}" for r in rows], fontsize=7)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(f"validation accuracy ({result.confidence:.0%} Wilson interval)")
    ax.grid(axis="x", alpha=0.3)
    if any(r.test is not None for r in rows):
        ax.legend(loc="lower right", fontsize=8)
    bx.set_xlabel("validation calls")
    bx.grid(axis="x", alpha=0.3)
    fig.suptitle(
        f"{result.name}: {result.strategy}, {result.calls_spent:,} calls (full grid {result.grid_calls:,})",
        fontsize=10,
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)
