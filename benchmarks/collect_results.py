"""Collect the per-topic results files (results_*.md, written by each benchmark) into RESULTS.md."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
ORDER = ["guard", "grammar", "checks", "hostile", "reliability", "search", "invariants"]
HEADER = """# Measured figures

Every figure here was measured by a script in this folder; each section names its script, date and machine.
Timings taken while other jobs shared the 2 cores say so (load average): treat them as upper bounds.
Regenerate this file with `python benchmarks/collect_results.py` after running a benchmark.

"""


def main() -> None:
    parts = [HEADER]

    def rank(path: Path) -> int:
        topic = path.stem.removeprefix("results_")
        return ORDER.index(topic) if topic in ORDER else len(ORDER)

    files = sorted(HERE.glob("results_*.md"), key=lambda p: (rank(p), p.name))
    for path in files:
        parts.append(f"<!-- from {path.name} -->\n")
        parts.append(path.read_text(encoding="utf-8").rstrip() + "\n\n")
    (HERE / "RESULTS.md").write_text("".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
