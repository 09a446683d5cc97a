"""Hostile space, study and template files (issue 16, items 4 and 5): no file outside the study's folders is
read, and no template or YAML file exhausts the machine or escapes ``TemplateError``/``DataFileError``."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from guardrail._jinja import TemplateLimits
from guardrail._yaml import MAX_EXPANDED_NODES
from guardrail._yaml import load as load_yaml
from guardrail.errors import ConfigurationError, DataFileError, TemplateError, UnsafePathError
from guardrail.models import Request
from guardrail.models.scripted import ScriptedModel
from guardrail.prompt import Template
from guardrail.search.evaluate import prompt_space_from_file
from guardrail.search.space import PromptSpace
from guardrail.search.study import Study, StudyConfig
from guardrail.suites.loaders import load_suite

SECRET = "sk-planted-environ-4f9a1c"


def write_space(folder: Path, template: Any, **extra: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "space.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "fixed": {"template": template, **extra}}))
    return path


def render_first(space: PromptSpace, **variables: Any) -> str:
    return space.candidates()[0].prompt.render(**variables)


# --- paths ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["/proc/self/environ", "/etc/passwd", "../../x.j2", "../outside.j2", "sub/../../outside.j2"],
)
def test_a_space_cannot_name_a_template_outside_its_folders(tmp_path: Path, name: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "outside.j2").write_text("outside {{ x }}")  # exists, above the space's folder
    (tmp_path / "x.j2").write_text("x")
    space = PromptSpace.from_yaml(write_space(tmp_path / "a" / "b", name))
    with pytest.raises(TemplateError) as info:
        space.candidates()
    assert name in str(info.value) and "refused" in str(info.value)


def test_proc_environ_never_reaches_a_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The reproducer: with the key in the environment, `template: /proc/self/environ` was rendered and sent.
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    space = PromptSpace.from_yaml(write_space(tmp_path, "/proc/self/environ"))
    with pytest.raises(TemplateError, match="absolute path"):
        space.candidates()
    # Relative ways into /proc are refused too, even from a folder that contains it.
    with pytest.raises(TemplateError, match="refused"):
        Template.load("proc/self/environ", base_dir=Path("/"))


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    folder = tmp_path / "space"
    folder.mkdir()
    (folder / "link.j2").symlink_to(secret)
    (folder / "linkdir").symlink_to(tmp_path, target_is_directory=True)
    for name in ("link.j2", "linkdir/secret.txt"):
        with pytest.raises(TemplateError, match="leaves"):
            Template.load(name, base_dir=folder)
    # A symlink that stays inside the folder is fine.
    (folder / "real.j2").write_text("hello {{ who }}")
    (folder / "alias.j2").symlink_to(folder / "real.j2")
    assert Template.load("alias.j2", base_dir=folder).render(who="you") == "hello you"


def test_hidden_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={SECRET}")
    with pytest.raises(TemplateError, match="hidden"):
        Template.load(".env", base_dir=tmp_path)


@pytest.mark.parametrize(
    "statement",
    [
        "{% include '/etc/passwd' %}",
        "{% include '../secret.txt' %}",
        "{% include 'link.txt' %}",
        "{% include '.env' %}",
        "{% extends '../secret.txt' %}",
        "{% import '../secret.txt' as s %}",
        "{% from '/proc/self/environ' import x %}",
    ],
)
def test_include_extends_and_import_are_confined(tmp_path: Path, statement: str) -> None:
    (tmp_path / "secret.txt").write_text(SECRET)
    folder = tmp_path / "space"
    folder.mkdir()
    (folder / "link.txt").symlink_to(tmp_path / "secret.txt")
    (folder / ".env").write_text(SECRET)
    space = PromptSpace.from_yaml(write_space(folder, {"source": statement + " {{ q }}"}))
    with pytest.raises(TemplateError) as info:
        render_first(space, q="?")
    assert SECRET not in str(info.value)


def test_include_inside_the_folder_still_works(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "header.j2").write_text("Answer briefly.")
    (tmp_path / "main.j2").write_text("{% include 'parts/header.j2' %}\nQ: {{ q }}")
    space = PromptSpace.from_yaml(write_space(tmp_path, "main.j2"))
    assert render_first(space, q="why?") == "Answer briefly.Q: why?"  # trim_blocks eats the newline


def test_a_study_cannot_read_hidden_or_system_files_as_data(tmp_path: Path) -> None:
    (tmp_path / "study").mkdir()
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_rsa").write_text(SECRET)
    (tmp_path / "study" / "cases.jsonl").symlink_to(tmp_path / ".ssh" / "id_rsa")
    for suite in ("/proc/self/environ", "../.ssh/id_rsa", str(tmp_path / ".ssh" / "id_rsa"), "cases.jsonl"):
        config = StudyConfig.model_validate(
            {"name": "s", "suite": {"path": suite}, "space": {"fixed": {"template": "x.j2"}}}
        )
        study = Study(config, base_dir=tmp_path / "study", model_factory=lambda spec: ScriptedModel(""))
        with pytest.raises(UnsafePathError) as info:
            study.load_suite()
        assert SECRET not in str(info.value)
    # Data elsewhere, named by an absolute path, is fine: suites often live outside the study's folder.
    (tmp_path / "data.jsonl").write_text('{"q": "x", "expected": "y"}\n')
    config = StudyConfig.model_validate(
        {"name": "s", "suite": {"path": str(tmp_path / "data.jsonl")}, "space": {"fixed": {"template": "x"}}}
    )
    assert len(Study(config, base_dir=tmp_path / "study").load_suite()[0].cases) == 1
    # A space file, like a template, stays inside the study's folders.
    for space in ("/proc/self/environ", "../../space.yaml", str(tmp_path / "space.yaml")):
        config = StudyConfig.model_validate({"name": "s", "suite": {"path": "a.jsonl"}, "space": space})
        with pytest.raises(UnsafePathError):
            Study(config, base_dir=tmp_path / "study").load_space()


def test_a_winner_file_cannot_point_its_template_outside(tmp_path: Path) -> None:
    (tmp_path / "secret.j2").write_text(SECRET)
    folder = tmp_path / "out"
    folder.mkdir()
    winner = folder / "winner.yaml"
    winner.write_text(yaml.safe_dump({"settings": {"template": "x"}, "template": "../secret.j2"}))
    with pytest.raises(UnsafePathError):
        prompt_space_from_file(winner, max_tokens=4, stop=("\n",))


# --- template limits -------------------------------------------------------------------------------------

EXHAUSTING = {
    "folded at compile time": "{{ 'a' * 10**9 }}",
    "repetition": "{{ 'a' * 1000000000 }}",
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "doubling by ~": "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s|length }}",
    "shared list printed": "{% set ns = namespace(x=[1]) %}{% for i in range(40) %}"
    "{% set ns.x = [ns.x] * 100 %}{% endfor %}{{ ns.x }}",
    "shared list serialised": "{% set ns = namespace(x=[1]) %}{% for i in range(40) %}"
    "{% set ns.x = [ns.x] * 100 %}{% endfor %}{{ ns.x|tojson }}",
    "list grown in place": "{% set l = [1] %}{% for i in range(64) %}{{ l.extend(l) }}{% endfor %}",
    "huge power": "{{ 9 ** 999999 }}",
    "float overflow": "{{ 10.0 ** 1000 }}",
    "center filter": "{{ 'x'|center(1000000000) }}",
    "ljust method": "{{ 'x'.ljust(1000000000) }}",
    "format width": "{{ '{:>1000000000}'.format(1) }}",
    "percent width": "{{ '%1000000000d' % 1 }}",
    "format filter": "{{ '%1000000000s'|format('x') }}",
    "replace blow-up": "{{ ('a' * 100000).replace('a', 'b' * 100000) }}",
    "lipsum": "{{ lipsum(1000000000) }}",
    "recursion": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "huge output": "{% for i in range(1000) %}{{ 'a' * 1000000 }}{% endfor %}",
    "division by zero": "{{ 1 / 0 }}",
    "int digits limit": "{{ 10 ** 5000 }}",
}


@pytest.mark.parametrize("source", EXHAUSTING.values(), ids=EXHAUSTING.keys())
def test_a_template_cannot_exhaust_the_machine_or_escape_template_error(source: str) -> None:
    started = time.perf_counter()
    with pytest.raises(TemplateError) as info:
        Template(source, name="hostile.j2").render()
    assert info.value.template == "hostile.j2"
    # No timing assertion on purpose; the limit that stopped it is named.
    assert time.perf_counter() - started < 60
    assert "hostile.j2" in str(info.value)


def test_limits_are_configurable_and_ordinary_templates_are_untouched() -> None:
    few_shot = Template(
        "{% for ex in examples %}Q: {{ ex.q }}\nA: {{ ex.a }}\n\n{% endfor %}Q: {{ q }}\nA:",
        limits=TemplateLimits(max_iterations=3),
    )
    examples = [{"q": f"q{i}", "a": f"a{i}"} for i in range(3)]
    assert few_shot.render(examples=examples, q="?").count("Q:") == 4
    with pytest.raises(TemplateError, match="3 loop iterations"):
        few_shot.render(examples=[*examples, {"q": "x", "a": "y"}], q="?")
    # Large case data is data, not a template operation: it passes through untouched.
    document = "word " * 200_000
    assert len(Template("{{ doc }}").render(doc=document)) == len(document)
    assert (
        Template("{{ x ~ y }}|{{ n * 3 }}|{{ '%5.1f' % f }}").render(x="a", y="b", n=2, f=1.25)
        == "ab|6|  1.2"
    )


def test_a_huge_template_source_is_refused_before_compiling() -> None:
    with pytest.raises(TemplateError, match="characters long"):
        Template("x" * 2_000_001, name="big.j2")
    with pytest.raises(TemplateError, match=r"nested|recurses|compiled|syntax"):
        Template("{{ " + "(" * 100_000 + "1" + ")" * 100_000 + " }}", name="deep.j2")


def test_model_output_and_case_data_stay_data() -> None:
    request = Template("Q: {{ q }}").render(q="{{ 'a' * 10**9 }} {% for i in range(10**9) %}{% endfor %}")
    assert request == "Q: {{ 'a' * 10**9 }} {% for i in range(10**9) %}{% endfor %}"
    assert isinstance(Request(prompt=request), Request)


# --- YAML limits ------------------------------------------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    """The 610-byte reproducer shape: each level lists the previous one nine times."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{','.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", ["study", "space", "suite", "plain"])
def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path: Path, kind: str) -> None:
    bomb = alias_bomb()
    assert len(bomb.encode()) < 700
    path = tmp_path / f"{kind}.yaml"
    if kind == "study":
        path.write_text("name: x\nsuite: {path: a.jsonl}\nspace: s.yaml\n" + bomb)
    elif kind == "space":
        path.write_text("name: x\nfixed:\n  template: x.j2\n  " + bomb.replace("\n", "\n  "))
    elif kind == "suite":
        path.write_text("cases:\n  - {q: x, expected: y}\n" + bomb)
    else:
        path.write_text(bomb)
    started = time.perf_counter()
    with pytest.raises(DataFileError, match="expands to more than") as info:
        if kind == "study":
            StudyConfig.from_yaml(path)
        elif kind == "space":
            PromptSpace.from_yaml(path)
        elif kind == "suite":
            load_suite(path)
        else:
            load_yaml(path)
    assert str(path) in str(info.value)
    assert time.perf_counter() - started < 30


def test_yaml_limits_leave_ordinary_files_alone(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    shared = {"x": list(range(50))}
    path.write_text(
        yaml.safe_dump({"defaults": shared, "again": shared, "cases": [{"q": i} for i in range(2000)]})
    )
    data = load_yaml(path)
    assert data["again"]["x"][-1] == 49 and len(data["cases"]) == 2000
    assert MAX_EXPANDED_NODES >= 1_000_000


def test_self_referencing_and_deep_yaml_are_refused(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.write_text("a: &a [*a]\n")
    with pytest.raises(DataFileError, match="expands"):
        load_yaml(loop)
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 50_000 + "]" * 50_000)
    with pytest.raises(DataFileError, match=r"nested too deeply|not valid YAML"):
        load_yaml(deep)


def test_no_reader_uses_yaml_safe_load_directly() -> None:
    # One loader for every YAML reader: a new reader that bypasses it would reopen the alias bomb.
    src = Path(__file__).resolve().parents[1] / "src" / "guardrail"
    direct = re.compile(r"\byaml\.(safe_load|load|full_load|unsafe_load|SafeLoader|Loader)\b")
    offenders = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if p.name != "_yaml.py" and direct.search(p.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders


def test_unreadable_files_are_data_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="cannot read"):
        load_yaml(tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(os.urandom(64) + b"\xff\xfe")
    with pytest.raises(DataFileError):
        load_yaml(binary)
    with pytest.raises(ConfigurationError, match="refused"):
        PromptSpace.load("../../etc/passwd", base_dir=tmp_path)
