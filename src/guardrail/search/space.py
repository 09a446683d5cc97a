"""Prompt spaces: named dimensions of prompt choices, and their candidates.

``PromptSpace`` is a set of named dimensions (instruction wording, few-shot k, example selection and order,
label words, separators, chain-of-thought, sampling parameters, model). Its candidates are the cross
product of the dimensions, each with a stable id derived from its settings, and each holding the
``Prompt`` that builds its requests.

Special setting names (in ``fixed`` or ``dimensions``):

* ``template`` — a template file name (looked up beside the space file, then in the shipped ``prompts/``),
  or ``{source: ...}`` for an inline template;
* ``k``, ``selection`` (``balanced`` | ``random`` | ``first``), ``order`` (``as_drawn`` | ``shuffled`` |
  ``by_label``), ``seed`` — which few-shot examples, drawn from the train split, in which order;
* ``labels`` — a mapping from the suite's canonical labels to the words the prompt uses;
* ``request`` — request fields (``max_tokens``, ``temperature``, ``stop``, ...);
* ``model`` — a model spec, when the space compares models;
* ``chat`` / ``system`` — send the prompt as a chat user message (with an optional system message).

Every other setting (``instruction``, ``separator``, ``cot``, ...) is a template variable as it stands.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import _yaml as safe_yaml
from .._secrets import scrub
from ..errors import ConfigurationError, DataFileError, TemplateError
from ..models.types import Request
from ..prompt import Prompt, Template
from ..resources import confined_file, prompts_dir
from ..suites.case import Case

SPECIAL_SETTINGS = frozenset(
    {"template", "k", "selection", "order", "seed", "labels", "request", "model", "chat", "system"}
)
#: Names the renderer itself provides to every template.
PROVIDED_VARIABLES = frozenset({"examples", "labels"})
SELECTIONS = ("balanced", "random", "first")
ORDERS = ("as_drawn", "shuffled", "by_label")


@dataclass(frozen=True)
class Candidate:
    """One point of a prompt space: a choice for every dimension, plus the space's fixed settings."""

    id: str
    choices: Mapping[str, Any]
    names: Mapping[str, str]
    settings: Mapping[str, Any]
    #: The prompt that builds this candidate's requests (template, chat/system, request parameters).
    prompt: Prompt = field(compare=False, repr=False)

    @property
    def label(self) -> str:
        """A short human description: ``k=4, labels=great/terrible``."""
        return ", ".join(f"{dim}={name}" for dim, name in self.names.items()) or "(fixed)"

    @property
    def labels(self) -> Mapping[str, str] | None:
        words = self.settings.get("labels")
        return dict(words) if isinstance(words, Mapping) else None

    @property
    def model(self) -> str | None:
        spec = self.settings.get("model")
        return str(spec) if spec is not None else None


@dataclass(frozen=True)
class Rendered:
    """A candidate applied to one case."""

    request: Request
    text: str
    examples: tuple[str, ...]

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.request.canonical_json().encode("utf-8")).hexdigest()[:16]


def _value_name(value: Any) -> str:
    if isinstance(value, Mapping):
        return "/".join(_value_name(v) for v in value.values())
    if isinstance(value, str):
        # Names are shown everywhere (tables, plots, reports); a model URL's credentials are not.
        short = json.dumps(scrub(value), ensure_ascii=False)[1:-1]
        return (short[:29] + "…") if len(short) > 30 else (short or "''")
    if isinstance(value, list | tuple):
        return "[" + ",".join(_value_name(v) for v in value) + "]"
    return str(value)


def _stable_id(settings: Mapping[str, Any]) -> str:
    blob = json.dumps(settings, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:10]


@dataclass
class PromptSpace:
    """Named dimensions of prompt choices; ``candidates()`` enumerates their cross product."""

    name: str
    dimensions: dict[str, dict[str, Any]]
    fixed: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    base_dir: Path | None = None
    source: str = "<inline>"

    def __post_init__(self) -> None:
        for dim, values in self.dimensions.items():
            if not values:
                raise ConfigurationError(f"prompt space {self.name!r}: dimension {dim!r} has no values")
            if dim in self.fixed:
                raise ConfigurationError(
                    f"prompt space {self.name!r}: {dim!r} is both fixed and a dimension; keep one"
                )
        self._templates: dict[str, Template] = {}
        self._examples: dict[tuple[str, str], tuple[Case, ...]] = {}

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base_dir: Path | None = None, source: str = "<inline>"
    ) -> PromptSpace:
        unknown = set(data) - {"name", "dimensions", "fixed", "request", "description"}
        if unknown:
            raise DataFileError(
                f"{source}: unknown prompt-space keys {sorted(unknown)}; "
                "expected name, description, fixed, request, dimensions"
            )
        dims: dict[str, dict[str, Any]] = {}
        for dim, values in (data.get("dimensions") or {}).items():
            if isinstance(values, Mapping):
                dims[str(dim)] = {str(k): v for k, v in values.items()}
            elif isinstance(values, list):
                named: dict[str, Any] = {}
                for v in values:
                    key = _value_name(v)
                    while key in named:
                        key += "'"
                    named[key] = v
                dims[str(dim)] = named
            else:
                raise DataFileError(
                    f"{source}: dimension {dim!r} must be a list of values or a mapping name → value"
                )
        return cls(
            name=str(data.get("name") or Path(source).stem),
            dimensions=dims,
            fixed=dict(data.get("fixed") or {}),
            request=dict(data.get("request") or {}),
            base_dir=base_dir,
            source=source,
        )

    @classmethod
    def from_yaml(cls, path: str | Path) -> PromptSpace:
        p = Path(path)
        data = safe_yaml.load(p, what="prompt space")
        if not isinstance(data, Mapping):
            raise DataFileError(
                f"{p}: a prompt space is a YAML mapping with name, fixed, request, dimensions"
            )
        return cls.from_dict(data, base_dir=p.parent, source=str(p))

    @classmethod
    def load(cls, name: str, *, base_dir: Path | None = None) -> PromptSpace:
        """A space file by relative path (beside ``base_dir``, else the current folder), or by name among
        the shipped ``prompts/spaces/NAME.yaml``. Paths leaving those folders are refused
        (``UnsafePathError``)."""
        roots = [base_dir or Path.cwd(), prompts_dir(), prompts_dir() / "spaces"]
        for candidate in (name, f"{name}.yaml"):
            found = confined_file(candidate, roots, what="prompt space", max_bytes=safe_yaml.MAX_BYTES)
            if found is not None:
                return cls.from_yaml(found)
        raise ConfigurationError(
            f"prompt space {name!r} not found (looked beside the study, here and in prompts/)"
        )

    # -- enumeration ------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        n = 1
        for values in self.dimensions.values():
            n *= len(values)
        return n

    def candidates(self) -> list[Candidate]:
        """All candidates, in the order of the dimensions as declared."""
        dims = list(self.dimensions)
        out: list[Candidate] = []
        for combo in itertools.product(*(list(self.dimensions[d].items()) for d in dims)):
            choices = {d: value for d, (_, value) in zip(dims, combo, strict=True)}
            names = {d: name for d, (name, _) in zip(dims, combo, strict=True)}
            settings = {**self.fixed, **choices}
            identity = {"settings": settings, "request": self.request}
            out.append(
                Candidate(
                    id=_stable_id(identity),
                    choices=choices,
                    names=names,
                    settings=settings,
                    prompt=self.prompt_for(settings),
                )
            )
        return out

    def sample(self, n: int, seed: int = 0) -> list[Candidate]:
        """``n`` distinct candidates drawn at random (seeded), in enumeration order."""
        everything = self.candidates()
        if n >= len(everything):
            return everything
        picked = set(random.Random(seed).sample(range(len(everything)), n))
        return [c for i, c in enumerate(everything) if i in picked]

    def candidate(self, id_or_prefix: str) -> Candidate:
        matches = [c for c in self.candidates() if c.id.startswith(id_or_prefix)]
        if len(matches) != 1:
            raise ConfigurationError(
                f"{'no' if not matches else 'several'} candidates of space {self.name!r} "
                f"match {id_or_prefix!r}"
            )
        return matches[0]

    # -- rendering --------------------------------------------------------------------------------
    def prompt_for(self, settings: Mapping[str, Any]) -> Prompt:
        """The prompt of a candidate with these settings."""
        params = {**self.request, **dict(settings.get("request") or {})}
        system = settings.get("system")
        try:
            return Prompt(
                self.template_for(settings),
                chat=bool(settings.get("chat", False)),
                system=None if system is None else str(system),
                params=params,
            )
        except ConfigurationError as exc:
            raise ConfigurationError(f"prompt space {self.name!r}: {exc}") from None

    def template_for(self, settings: Mapping[str, Any]) -> Template:
        spec = settings.get("template")
        if spec is None:
            raise ConfigurationError(
                f"prompt space {self.name!r} sets no 'template' (in fixed or dimensions)"
            )
        key = json.dumps(spec, sort_keys=True)
        if key not in self._templates:
            if isinstance(spec, Mapping) and "source" in spec:
                self._templates[key] = Template(
                    str(spec["source"]), name=f"{self.name}:inline", search_path=self._search_path()
                )
            else:
                self._templates[key] = Template.load(str(spec), base_dir=self.base_dir)
        return self._templates[key]

    def _search_path(self) -> tuple[Path, ...]:
        return ((self.base_dir,) if self.base_dir else ()) + (prompts_dir(),)

    def check_variables(self, case_variables: Iterable[str]) -> None:
        """Refuse a suite whose case variables would shadow the space's settings."""
        clash = set(case_variables) & (set(self.fixed) | set(self.dimensions) | PROVIDED_VARIABLES)
        if clash:
            raise ConfigurationError(
                f"case variables {sorted(clash)} clash with settings of prompt space {self.name!r}; "
                "rename the setting or the suite field"
            )

    def examples_for(self, candidate: Candidate, train: Sequence[Case]) -> tuple[Case, ...]:
        """The few-shot examples of ``candidate``: the same for every case, drawn from ``train``."""
        s = candidate.settings
        k = int(s.get("k", 0))
        selection = str(s.get("selection", "balanced"))
        order = str(s.get("order", "as_drawn"))
        seed = int(s.get("seed", 0))
        if selection not in SELECTIONS or order not in ORDERS:
            raise ConfigurationError(
                f"prompt space {self.name!r}: selection must be one of {SELECTIONS} "
                f"and order one of {ORDERS}; "
                f"got selection={selection!r}, order={order!r}"
            )
        if k < 0:
            raise ConfigurationError(f"prompt space {self.name!r}: k must be >= 0, got {k}")
        pool_key = hashlib.sha256("|".join(c.id for c in train).encode()).hexdigest()
        key = (f"{k}:{selection}:{order}:{seed}", pool_key)
        if key not in self._examples:
            self._examples[key] = select_examples(train, k, selection=selection, order=order, seed=seed)
        return self._examples[key]

    def render(self, candidate: Candidate, case: Case, train: Sequence[Case] = ()) -> Rendered:
        """The request for ``case`` under ``candidate``. Raises ``TemplateError`` for template problems."""
        s = candidate.settings
        labels = candidate.labels
        examples = self.examples_for(candidate, train)
        shown = [_example_vars(ex, labels, bool(s.get("cot", False))) for ex in examples]
        variables = {k: v for k, v in s.items() if k not in SPECIAL_SETTINGS}
        variables |= {"examples": shown, "labels": labels or {}}
        variables |= dict(case.variables)
        text = candidate.prompt.render(**variables)
        return Rendered(
            request=candidate.prompt.request(text), text=text, examples=tuple(e.id for e in examples)
        )


def _example_vars(example: Case, labels: Mapping[str, str] | None, cot: bool) -> dict[str, Any]:
    if labels and example.label in labels:
        answer = labels[example.label]
    elif cot and example.solution:
        answer = example.solution
    else:
        answer = example.expected if isinstance(example.expected, str) else json.dumps(example.expected)
    return {**example.variables, "answer": answer, "expected": example.expected, "solution": example.solution}


def select_examples(
    pool: Sequence[Case], k: int, *, selection: str = "balanced", order: str = "as_drawn", seed: int = 0
) -> tuple[Case, ...]:
    """``k`` few-shot examples from ``pool``, seeded.

    ``balanced`` deals round-robin from each label (labels in sorted order, cases shuffled within a label),
    ``random`` samples uniformly, ``first`` takes the pool's first ``k``. ``order`` then keeps the drawn
    order, shuffles it, or groups by label.
    """
    if k <= 0 or not pool:
        return ()
    rng = random.Random(f"examples:{seed}")
    if selection == "first":
        drawn = list(pool[:k])
    elif selection == "random":
        drawn = rng.sample(list(pool), min(k, len(pool)))
    else:
        by_label: dict[str, list[Case]] = {}
        for case in pool:
            by_label.setdefault(case.label, []).append(case)
        queues = []
        for label in sorted(by_label):
            cases = list(by_label[label])
            rng.shuffle(cases)
            queues.append(cases)
        drawn = []
        for i in itertools.count():
            if len(drawn) >= k or all(i >= len(q) for q in queues):
                break
            drawn.extend(q[i] for q in queues if i < len(q))
        drawn = drawn[:k]
    if order == "shuffled":
        rng.shuffle(drawn)
    elif order == "by_label":
        drawn.sort(key=lambda c: c.label)
    return tuple(drawn)


# ------------------------------------------------------------------------------------------------ baking


def _literal(chunk: str) -> str:
    """Template source that renders exactly ``chunk``."""
    if not chunk:
        return ""
    if not any(d in chunk for d in ("{{", "{%", "{#", "}}", "%}", "#}")) and not chunk.endswith("\n"):
        return chunk
    escaped = chunk.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '{{ "' + escaped + '" }}'


def bake(space: PromptSpace, candidate: Candidate, train: Sequence[Case], sample: Case) -> str | None:
    """A standalone template for ``candidate``: its settings and few-shot examples written in, the case
    variables left as ``{{ name }}``. None when the template transforms case variables in a way that cannot
    be baked (checked by rendering ``sample`` both ways)."""
    names = list(sample.variables)
    marks = {f"\u2063gr{i}\u2063": name for i, name in enumerate(names)}
    stand_in = Case(sample.id, {name: mark for mark, name in marks.items()}, sample.expected)
    text = space.render(candidate, stand_in, train).text
    pieces: list[str] = []
    pos = 0
    for m in re.finditer("|".join(re.escape(mark) for mark in marks) or r"(?!)", text):
        pieces.append(_literal(text[pos : m.start()]))
        pieces.append("{{ " + marks[m.group()] + " }}")
        pos = m.end()
    pieces.append(_literal(text[pos:]))
    source = "".join(pieces)
    try:
        same = (
            Template(source, name="baked").render(**sample.variables)
            == space.render(candidate, sample, train).text
        )
    except TemplateError:
        same = False
    return source if same else None
