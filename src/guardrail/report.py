"""Study reports: Markdown and HTML with a plot of accuracies (with intervals) and calls spent."""

from __future__ import annotations

import datetime as _dt
import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .search.study import CandidateResult, StudyResult

PLOT_FILE = "accuracy.png"


def write_report(result: StudyResult, folder: Path) -> dict[str, Path]:
    """Write ``report.md``, ``report.html`` and ``accuracy.png`` into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    plot = folder / PLOT_FILE
    plot_accuracies(result, plot)
    md = folder / "report.md"
    md.write_text(markdown_report(result), encoding="utf-8")
    page = folder / "report.html"
    page.write_text(html_report(result), encoding="utf-8")
    return {"markdown": md, "html": page, "plot": plot}


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
        ("this run", ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result.counters.as_dict().items())),
    ]
    return rows


def markdown_report(result: StudyResult) -> str:
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [f"# Study `{result.name}`", "", f"Written {now} on {os.uname().nodename}.", ""]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in _headline(result)]
    lines += ["", f"![accuracies]({PLOT_FILE})", ""]
    if result.warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in result.warnings] + [""]
    lines += [
        "## Candidates",
        "",
        "Validation accuracy on the cases each candidate was evaluated on "
        "(racing stops evaluating a candidate once it is shown worse).",
        "",
        "| # | id | candidate | status | cases | accuracy [interval] | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(result.candidates, 1):
        status = r.status + (f" at n={r.eliminated_at}" if r.eliminated_at else "")
        lines.append(
            f"| {i} | `{r.id}` | {r.label.replace('|', '/')} | {status} | {r.n} "
            f"| {_interval(r)} | {r.errors} |"
        )
    lines += ["", "## Test split", ""]
    if result.test_reads:
        for read in result.test_reads:
            when = _dt.datetime.fromtimestamp(float(read["at"])).strftime("%Y-%m-%d %H:%M:%S")
            lines.append(
                f"- read at {when} for {', '.join(f'`{c}`' for c in read['candidates'])} "
                f"({read['n']} cases): {read['reason']}"
            )
    else:
        lines.append("- never read")
    if result.case_errors:
        lines += ["", "## Case errors", ""]
        lines += [f"- `{e['candidate']}` on `{e['case']}`: {e['error']}" for e in result.case_errors[:30]]
        if len(result.case_errors) > 30:
            lines.append(f"- ... and {len(result.case_errors) - 30} more (see results.jsonl)")
    if result.winner_files:
        lines += ["", "## The winning prompt", ""] + [
            f"- {k}: `{Path(v).name}`" for k, v in result.winner_files.items()
        ]
    return "\n".join(lines) + "\n"


def html_report(result: StudyResult) -> str:
    e = html.escape
    head = "".join(f"<tr><th>{e(k)}</th><td>{e(v).replace('`', '')}</td></tr>" for k, v in _headline(result))
    cands = "".join(
        f"<tr class='{e(r.status.replace(' ', '-'))}'><td>{i}</td><td><code>{e(r.id)}</code></td>"
        f"<td>{e(r.label)}</td>"
        f"<td>{e(r.status)}{f' at n={r.eliminated_at}' if r.eliminated_at else ''}</td><td>{r.n}</td>"
        f"<td>{e(_interval(r))}</td><td>{r.errors}</td></tr>"
        for i, r in enumerate(result.candidates, 1)
    )
    warnings = "".join(f"<li>{e(w)}</li>" for w in result.warnings)
    reads = (
        "".join(
            f"<li>{e(_dt.datetime.fromtimestamp(float(r['at'])).isoformat(timespec='seconds'))}: "
            f"{e(', '.join(r['candidates']))} ({r['n']} cases) — {e(r['reason'])}</li>"
            for r in result.test_reads
        )
        or "<li>never read</li>"
    )
    errors = "".join(
        f"<li><code>{e(x['candidate'])}</code> on <code>{e(x['case'])}</code>: {e(x['error'])}</li>"
        for x in result.case_errors[:30]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Study {e(result.name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
tr.winner {{ background: #e6f4ea; }} tr.eliminated {{ color: #888; }} th {{ background: #f5f5f5; }}
.warn {{ background: #fff4e5; padding: 0.5em 1em; border-left: 4px solid #f0a020; }}
</style></head><body>
<h1>Study <code>{e(result.name)}</code></h1>
<table>{head}</table>
<img src="{PLOT_FILE}" style="max-width:100%"
     alt="validation accuracy with intervals and calls spent per candidate">
{f'<div class="warn"><h2>Warnings</h2><ul>{warnings}</ul></div>' if warnings else ""}
<h2>Candidates</h2>
<table><tr><th>#</th><th>id</th><th>candidate</th><th>status</th><th>cases</th>
<th>accuracy [interval]</th><th>errors</th></tr>
{cands}</table>
<h2>Test split</h2><ul>{reads}</ul>
{f"<h2>Case errors</h2><ul>{errors}</ul>" if errors else ""}
</body></html>
"""


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
