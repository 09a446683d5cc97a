"""Loaders: suites from JSONL, CSV and YAML files, and from the public formats guardrail ships suites in.

A malformed row raises ``DataFileError`` naming the file and line (``strict=True``, the default), or is
skipped and listed in ``Suite.problems`` (``strict=False``), so a study can go on without it.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import _yaml as safe_yaml
from ..errors import DataFileError
from .case import Case, LoadProblem, Suite
from .code_tests import CodeAgainstTests
from .scorers import LabelOf, Normalized, Numeric, Regex, Scorer

SST2_LABELS = ("negative", "positive")


class _Collector:
    """Gathers cases and problems for one file; raises at the first problem when strict."""

    def __init__(self, path: Path, strict: bool):
        self.path = path
        self.strict = strict
        self.cases: list[Case] = []
        self.problems: list[LoadProblem] = []
        self._ids: dict[str, int | None] = {}

    def problem(self, line: int | None, message: str) -> None:
        if self.strict:
            where = f", line {line}" if line is not None else ""
            raise DataFileError(f"{self.path}{where}: {message}")
        self.problems.append(LoadProblem(str(self.path), line, message))

    def add(self, case: Case, line: int | None) -> None:
        if case.id in self._ids:
            first = self._ids[case.id]
            self.problem(
                line, f"duplicate case id {case.id!r} (first seen at line {first}); ids must be unique"
            )
            return
        self._ids[case.id] = line
        self.cases.append(case)

    def suite(self, name: str, scorer: Scorer | None = None, labels: Sequence[str] | None = None) -> Suite:
        return Suite(
            name=name,
            cases=tuple(self.cases),
            scorer=scorer,
            labels=tuple(labels) if labels else None,
            source=str(self.path),
            problems=tuple(self.problems),
        )


def _read_text(path: Path) -> str:
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                return f.read()
        return path.read_text(encoding="utf-8")
    except (OSError, EOFError) as exc:
        raise DataFileError(f"cannot read suite file {str(path)!r}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _load_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{path}, line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"
        ) from None


def _jsonl_rows(path: Path, col: _Collector) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, raw in enumerate(_read_text(path).splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            col.problem(lineno, f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(row, dict):
            col.problem(lineno, f"expected a JSON object, got {type(row).__name__}")
            continue
        yield lineno, row


# ------------------------------------------------------------------------------- generic row formats


def _rows_to_suite(
    rows: Iterable[tuple[int | None, Mapping[str, Any]]],
    col: _Collector,
    *,
    expected: str,
    variables: Sequence[str] | None,
    id_field: str | None,
    solution: str | None,
    name: str,
) -> Suite:
    for line, row in rows:
        if expected not in row:
            col.problem(line, f"no {expected!r} field (the expected answer); fields are {sorted(row)}")
            continue
        keys = (
            list(variables)
            if variables is not None
            else [k for k in row if k not in (expected, id_field, solution)]
        )
        missing = [k for k in keys if k not in row]
        if missing:
            col.problem(line, f"missing variable field(s) {missing}")
            continue
        case_vars = {k: row[k] for k in keys}
        if id_field and row.get(id_field) not in (None, ""):
            case_id = str(row[id_field])
        else:
            case_id = f"{col.path.name}:{line}"
        sol = row.get(solution) if solution else None
        col.add(Case(case_id, case_vars, row[expected], str(sol) if sol is not None else None), line)
    return col.suite(name)


def load_jsonl(
    path: str | Path,
    *,
    expected: str = "expected",
    variables: Sequence[str] | None = None,
    id_field: str | None = "id",
    solution: str | None = "solution",
    name: str | None = None,
    strict: bool = True,
) -> Suite:
    """One JSON object per line; ``expected`` names the answer field, every other field is a variable."""
    p = Path(path)
    col = _Collector(p, strict)
    return _rows_to_suite(
        _jsonl_rows(p, col),
        col,
        expected=expected,
        variables=variables,
        id_field=id_field,
        solution=solution,
        name=name or p.stem,
    )


def load_csv(
    path: str | Path,
    *,
    expected: str = "expected",
    variables: Sequence[str] | None = None,
    id_field: str | None = "id",
    solution: str | None = "solution",
    name: str | None = None,
    strict: bool = True,
) -> Suite:
    """A CSV file with a header row; values are strings."""
    p = Path(path)
    col = _Collector(p, strict)
    reader = csv.reader(_read_text(p).splitlines())
    try:
        header = next(reader)
    except StopIteration:
        raise DataFileError(f"{p}: empty CSV file; the first row must name the columns") from None
    except csv.Error as exc:
        raise DataFileError(f"{p}, line 1: {exc}") from None

    def rows() -> Iterator[tuple[int | None, dict[str, Any]]]:
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                col.problem(reader.line_num, str(exc))
                continue
            if not values:
                continue
            if len(values) != len(header):
                col.problem(reader.line_num, f"{len(values)} fields, but the header has {len(header)}")
                continue
            yield reader.line_num, dict(zip(header, values, strict=True))

    return _rows_to_suite(
        rows(),
        col,
        expected=expected,
        variables=variables,
        id_field=id_field,
        solution=solution,
        name=name or p.stem,
    )


def load_yaml(
    path: str | Path,
    *,
    expected: str = "expected",
    variables: Sequence[str] | None = None,
    id_field: str | None = "id",
    solution: str | None = "solution",
    name: str | None = None,
    strict: bool = True,
) -> Suite:
    """A YAML list of mappings, or a mapping with ``cases:`` (and optional ``name:``, ``labels:``)."""
    p = Path(path)
    col = _Collector(p, strict)
    data, node = safe_yaml.load_text(_read_text(p), source=p)
    suite_name, labels = name or p.stem, None
    items_node = node
    if isinstance(data, Mapping):
        suite_name = name or str(data.get("name") or suite_name)
        labels = data.get("labels")
        items_node = next((v for k, v in (node.value if node else []) if k.value == "cases"), None)
        data = data.get("cases")
    if not isinstance(data, list) or items_node is None:
        raise DataFileError(f"{p}: expected a list of cases, or a mapping with a 'cases:' list")

    def rows() -> Iterator[tuple[int | None, Mapping[str, Any]]]:
        for item, item_node in zip(data, items_node.value, strict=True):
            line = item_node.start_mark.line + 1
            if not isinstance(item, Mapping):
                col.problem(line, f"a case must be a mapping, got {type(item).__name__}")
                continue
            yield line, item

    suite = _rows_to_suite(
        rows(),
        col,
        expected=expected,
        variables=variables,
        id_field=id_field,
        solution=solution,
        name=suite_name,
    )
    if labels:
        suite = replace(suite, labels=tuple(str(x) for x in labels), scorer=LabelOf([str(x) for x in labels]))
    return suite


# ------------------------------------------------------------------------------- shipped formats


def load_sst2(path: str | Path, *, strict: bool = True, name: str | None = None) -> Suite:
    """SST-2 lines ``<0|1> <sentence>`` (1 = positive) → variable ``sentence``, expected
    ``positive`` or ``negative``."""
    p = Path(path)
    col = _Collector(p, strict)
    for lineno, raw in enumerate(_read_text(p).splitlines(), start=1):
        if not raw.strip():
            continue
        label, _, sentence = raw.strip().partition(" ")
        if label not in ("0", "1") or not sentence.strip():
            col.problem(lineno, f"expected '<0|1> <sentence>', got {raw[:60]!r}")
            continue
        col.add(Case(f"{p.name}:{lineno}", {"sentence": sentence.strip()}, SST2_LABELS[int(label)]), lineno)
    return col.suite(name or f"sst2-{p.name.rsplit('.', 1)[-1]}", LabelOf(SST2_LABELS), SST2_LABELS)


def _examples(path: Path, data: Any) -> list[Any]:
    if not isinstance(data, Mapping) or not isinstance(data.get("examples"), list):
        raise DataFileError(f"{path}: expected a JSON object with an 'examples' list")
    return list(data["examples"])


def load_bigbench(path: str | Path, *, strict: bool = True, name: str | None = None) -> Suite:
    """A BIG-bench ``task.json``: ``examples: [{input, target}]``; the task's ``output_regex`` (if any)
    becomes the scorer, else normalized match."""
    p = Path(path)
    data = _load_json(p)
    col = _Collector(p, strict)
    for i, ex in enumerate(_examples(p, data)):
        target = ex.get("target") if isinstance(ex, Mapping) else None
        if not isinstance(ex, Mapping) or not isinstance(ex.get("input"), str) or target in (None, "", []):
            col.problem(None, f"example #{i} needs a string 'input' and a 'target'")
            continue
        targets = [str(t) for t in target] if isinstance(target, list) else [str(target)]
        col.add(
            Case(f"{p.stem}:{i}", {"input": ex["input"]}, targets[0], metadata={"targets": targets}), None
        )
    regex = data.get("output_regex")
    scorer: Scorer = Regex(regex, which="first") if isinstance(regex, str) else Normalized()
    return col.suite(name or str(data.get("name") or p.stem), scorer)


def load_bbh(path: str | Path, *, strict: bool = True, name: str | None = None) -> Suite:
    """A BIG-Bench Hard task: ``examples: [{input, target}]``; tasks with few distinct targets are
    classification suites with those labels."""
    p = Path(path)
    col = _Collector(p, strict)
    for i, ex in enumerate(_examples(p, _load_json(p))):
        if (
            not isinstance(ex, Mapping)
            or not isinstance(ex.get("input"), str)
            or not isinstance(ex.get("target"), str)
        ):
            col.problem(None, f"example #{i} needs string 'input' and 'target'")
            continue
        col.add(Case(f"{p.stem}:{i}", {"input": ex["input"]}, ex["target"]), None)
    targets = sorted({c.expected for c in col.cases})
    if all(re.fullmatch(r"-?\d+", t) for t in targets):
        return col.suite(name or p.stem, Numeric(mode="first"))
    if len(targets) <= 8:
        return col.suite(name or p.stem, LabelOf(targets), targets)
    return col.suite(name or p.stem, Normalized())


_CALCULATOR = re.compile(r"<<[^>]*>>")


def load_gsm8k(path: str | Path, *, strict: bool = True, name: str | None = None) -> Suite:
    """GSM8K JSONL ``{question, answer}``; the answer's ``#### n`` is expected, the rationale (calculator
    annotations removed) is the few-shot solution."""
    p = Path(path)
    col = _Collector(p, strict)
    for lineno, row in _jsonl_rows(p, col):
        q, a = row.get("question"), row.get("answer")
        m = re.search(r"####\s*([-\d,.]+)\s*$", a) if isinstance(a, str) else None
        if not isinstance(q, str) or m is None:
            col.problem(lineno, "needs 'question' and an 'answer' ending in '#### <number>'")
            continue
        col.add(
            Case(
                f"{p.name}:{lineno}",
                {"question": q},
                m.group(1).replace(",", ""),
                solution=_CALCULATOR.sub("", str(a)),
            ),
            lineno,
        )
    return col.suite(name or "gsm8k", Numeric(mode="auto"))


def load_country_capitals(path: str | Path, *, strict: bool = True, name: str | None = None) -> Suite:
    """``[{country, city}]``; countries without a capital are skipped (and listed in ``problems``)."""
    p = Path(path)
    data = _load_json(p)
    if not isinstance(data, list):
        raise DataFileError(f"{p}: expected a JSON list of {{country, city}}")
    col = _Collector(p, strict=False)
    for i, row in enumerate(data):
        if not isinstance(row, Mapping) or not isinstance(row.get("country"), str):
            if strict:
                raise DataFileError(f"{p}: entry #{i} needs a string 'country'")
            col.problem(None, f"entry #{i} needs a string 'country'")
            continue
        if not row.get("city"):
            col.problem(None, f"{row['country']} has no capital; skipped")
            continue
        col.add(Case(f"capital:{row['country']}", {"country": row["country"]}, str(row["city"])), None)
    return col.suite(name or "country-capitals", Normalized())


def load_humaneval(path: str | Path, *, strict: bool = True, name: str | None = None) -> Suite:
    """HumanEval (JSONL, optionally gzipped): variables ``prompt`` and ``entry_point``; expected is the test
    code; the canonical solution is the few-shot solution."""
    p = Path(path)
    col = _Collector(p, strict)
    for lineno, row in _jsonl_rows(p, col):
        fields = ("task_id", "prompt", "entry_point", "test")
        if not all(isinstance(row.get(f), str) for f in fields):
            col.problem(lineno, f"needs string fields {list(fields)}")
            continue
        col.add(
            Case(
                row["task_id"],
                {"prompt": row["prompt"], "entry_point": row["entry_point"]},
                row["test"],
                solution=row.get("canonical_solution"),
            ),
            lineno,
        )
    return col.suite(name or "humaneval", CodeAgainstTests("humaneval"))


def load_mbpp(path: str | Path, *, strict: bool = True, name: str | None = None) -> Suite:
    """MBPP (sanitized JSON list): variables ``text`` (the task) and ``tests`` (the asserts, shown to the
    model as is customary); expected holds the asserts and the imports they need."""
    p = Path(path)
    data = _load_json(p)
    if not isinstance(data, list):
        raise DataFileError(f"{p}: expected a JSON list of MBPP tasks")
    col = _Collector(p, strict)
    for i, row in enumerate(data):
        tests = row.get("test_list") if isinstance(row, Mapping) else None
        text = row.get("prompt", row.get("text")) if isinstance(row, Mapping) else None
        if not isinstance(text, str) or not isinstance(tests, list) or not tests:
            col.problem(None, f"task #{i} needs 'prompt' (or 'text') and a non-empty 'test_list'")
            continue
        expected = {
            "tests": [str(t) for t in tests],
            "imports": [str(t) for t in row.get("test_imports") or []],
        }
        col.add(
            Case(
                f"mbpp:{row.get('task_id', i)}",
                {"text": text, "tests": "\n".join(expected["tests"])},
                expected,
                solution=row.get("code"),
            ),
            None,
        )
    return col.suite(name or "mbpp", CodeAgainstTests("mbpp"))


Loader = Callable[..., Suite]

FORMATS: dict[str, Loader] = {
    "jsonl": load_jsonl,
    "csv": load_csv,
    "yaml": load_yaml,
    "sst2": load_sst2,
    "bigbench": load_bigbench,
    "bbh": load_bbh,
    "gsm8k": load_gsm8k,
    "country_capitals": load_country_capitals,
    "humaneval": load_humaneval,
    "mbpp": load_mbpp,
}


def infer_format(path: Path) -> str:
    """Guess a file's format from its name and, for JSON, its first record's fields."""
    name = path.name.lower()
    if name.endswith(".jsonl.gz"):
        return "humaneval"
    if name.startswith("stsa.") or path.suffix in (".train", ".dev", ".test"):
        return "sst2"
    if path.suffix == ".csv":
        return "csv"
    if path.suffix in (".yaml", ".yml"):
        return "yaml"
    if path.suffix == ".jsonl":
        first = next((ln for ln in _read_text(path).splitlines() if ln.strip()), "{}")
        try:
            keys = set(json.loads(first))
        except (json.JSONDecodeError, TypeError):
            return "jsonl"
        if {"question", "answer"} <= keys:
            return "gsm8k"
        if {"prompt", "entry_point", "test"} <= keys:
            return "humaneval"
        return "jsonl"
    if path.suffix == ".json":
        data = _load_json(path)
        if isinstance(data, Mapping) and "examples" in data:
            return "bigbench" if ("metrics" in data or "preferred_score" in data) else "bbh"
        if isinstance(data, list) and data and isinstance(data[0], Mapping):
            if "test_list" in data[0]:
                return "mbpp"
            if {"country", "city"} <= set(data[0]):
                return "country_capitals"
    raise DataFileError(
        f"{path}: cannot tell the suite format from the file; pass format= one of {sorted(FORMATS)}"
    )


def load_suite(path: str | Path, format: str | None = None, **options: Any) -> Suite:
    """Load a suite file in ``format`` (inferred from the file when not given)."""
    p = Path(path)
    if not p.exists():
        raise DataFileError(f"suite file {str(p)!r} does not exist")
    fmt = format or infer_format(p)
    if fmt not in FORMATS:
        raise DataFileError(f"unknown suite format {fmt!r}; choose one of {sorted(FORMATS)}")
    return FORMATS[fmt](p, **options)
