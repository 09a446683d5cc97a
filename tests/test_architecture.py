"""The import graph follows the table in DESIGN.md: data flows down, nothing imports a layer below its own.

Layers, top to bottom (a module may import its own layer and those above it):
shared plumbing < models < prompt < checks < guard < suites < search < reports < invariants < induction <
chains < the CLI, the pytest plugin and ``guardrail.testing``. Deprecated shim modules (their docstring
starts with "Deprecated:") and the root package's re-exports are exempt: they exist to keep old paths
working. Cycles are allowed only inside one package, and only small ones.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "guardrail"

PLUMBING = {
    "errors",
    "store",
    "sandbox",
    "sandbox_racket",
    "resources",
    "_sync",
    "_text",
    "_secrets",
    "_yaml",
    "_jinja",
}
LAYERS = [
    "models",
    "prompt",
    "checks",
    "guard",
    "suites",
    "search",
    "reports",
    "invariants",
    "induction",
    "chains",
    "cli",
]
TOP = {"pytest_plugin": "cli", "testing": "cli", "__main__": "cli"}
#: The largest strongly connected set of modules allowed inside one package.
MAX_CYCLE = 3


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _import_nodes(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, except inside a module's ``__getattr__`` (lazy deprecated aliases)."""
    for top in tree.body:
        if isinstance(top, ast.FunctionDef) and top.name == "__getattr__":
            continue
        for node in ast.walk(top):
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield node


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The guardrail modules that ``name`` imports: ``from x import y`` counts ``x.y`` when that is a
    module, and ``x`` otherwise."""
    package = name if _is_package(path) else name.rpartition(".")[0]
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                for alias in node.names
            ]
        for target in targets:
            if target in known and target != name:
                yield target


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "root"
    top = parts[1]
    if top in PLUMBING:
        return "plumbing"
    return TOP.get(top, top)


def _rank(layer: str) -> int:
    return -1 if layer == "plumbing" else LAYERS.index(layer)


def _is_shim(path: Path) -> bool:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.startswith("Deprecated:")


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: set(_imports(name, path, known)) for name, path in modules.items()}


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(
        m
        for m, path in _modules().items()
        if _layer(m) not in (*LAYERS, "plumbing", "root") and not _is_shim(path)
    )
    assert not unplaced, f"add these to a layer of DESIGN.md's table: {unplaced}"


def test_no_module_imports_a_layer_below_its_own() -> None:
    modules = _modules()
    upward = []
    for name, targets in _graph().items():
        layer = _layer(name)
        if layer == "root" or _is_shim(modules[name]):
            continue
        for target in sorted(targets):
            if _is_shim(modules[target]):
                upward.append(f"{name} -> {target} (a deprecated path; import the new one)")
            elif _layer(target) == "root":
                upward.append(f"{name} -> {target} (the root package only re-exports)")
            elif _rank(_layer(target)) > _rank(layer):
                upward.append(f"{name} ({layer}) -> {target} ({_layer(target)})")
    assert not upward, "imports that reach down the DESIGN.md table:\n" + "\n".join(upward)


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:  # Tarjan's algorithm; the graph is a few hundred modules
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_packages_form_no_cycle() -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    modules = _modules()
    for name, targets in _graph().items():
        if _layer(name) == "root" or _is_shim(modules[name]):
            continue
        for target in targets:
            a, b = _layer(name), _layer(target)
            if a != b and b != "root":
                packages[a].add(b)
    cycles = _strongly_connected(dict(packages))
    assert not cycles, f"packages that import each other: {cycles}"


def test_module_cycles_stay_small_and_inside_one_package() -> None:
    modules = _modules()
    graph = {
        name: {t for t in targets if not _is_package(modules[t])}
        for name, targets in _graph().items()
        if not _is_package(modules[name]) and not _is_shim(modules[name])
    }
    big = [c for c in _strongly_connected(graph) if len(c) > MAX_CYCLE or len({_layer(m) for m in c}) > 1]
    assert not big, f"import cycles larger than {MAX_CYCLE} modules or across packages: {big}"


@pytest.mark.parametrize(
    "shim", ["guardrail.loop", "guardrail.templates", "guardrail.report", "guardrail.chains.command"]
)
def test_old_import_paths_still_work_with_a_deprecation_warning(shim: str) -> None:
    import importlib
    import sys

    sys.modules.pop(shim, None)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        importlib.import_module(shim)
