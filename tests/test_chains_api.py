"""The public surface of guardrail.chains: a Chain is plain data, and old names warn for one release."""

from __future__ import annotations

import importlib
import sys

import pytest

import guardrail.chains as chains
from guardrail.chains import Chain, ModelStep
from guardrail.chains.control import ControlGraph, compile_chain
from guardrail.chains.explore import AbstractState, Explorer
from guardrail.checks import Grammar

CHAIN = Chain([ModelStep("ok", "?", Grammar.from_file("yes_no"))], final="ok")


@pytest.mark.parametrize("method", ["run", "arun", "verify"])
def test_a_chain_has_no_run_or_verify_method_and_says_what_replaces_it(method: str) -> None:
    with pytest.raises(AttributeError, match=f"Chain.{method} was removed.*guardrail.chains"):
        getattr(CHAIN, method)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        CHAIN.nope  # type: ignore[attr-defined]  # noqa: B018


def test_the_package_exports_what_users_need_and_every_name_resolves() -> None:
    for name in chains.__all__:
        assert getattr(chains, name) is not None
    for needed in (
        "Chain",
        "ModelStep",
        "parse_property",
        "verify",
        "Counterexample",
        "run_chain",
        "Violation",
    ):
        assert needed in chains.__all__
    for internal in ("FINAL_EVENT", "Finite", "verify_command", "compile_chain"):
        assert internal not in chains.__all__


@pytest.mark.parametrize(
    ("module", "name", "new"),
    [
        ("guardrail.chains.control", "Program", ControlGraph),
        ("guardrail.chains.explore", "State", AbstractState),
        ("guardrail.chains", "FINAL_EVENT", "final"),
        ("guardrail.chains", "Finite", None),
    ],
)
def test_renamed_and_moved_names_still_resolve_with_a_warning(module: str, name: str, new: object) -> None:
    with pytest.warns(DeprecationWarning, match=f"{name} is deprecated"):
        found = getattr(importlib.import_module(module), name)
    if new is not None:
        assert found is new or found == new
    else:
        from guardrail.chains.domains import Finite

        assert found is Finite


def test_the_old_command_module_warns_and_still_works() -> None:
    sys.modules.pop("guardrail.chains.command", None)
    with pytest.warns(DeprecationWarning, match="guardrail.chains.command is deprecated"):
        command = importlib.import_module("guardrail.chains.command")
    from guardrail.cli.verify import verify_command

    assert command.verify_command is verify_command and command.load_chain is chains.load_chain


def test_the_control_graph_and_abstract_states_have_their_new_names() -> None:
    graph = compile_chain(CHAIN)
    assert isinstance(graph, ControlGraph) and [n.kind for n in graph.nodes] == ["final", "model"]
    explorer = Explorer(CHAIN)
    start = explorer.initial(0)
    assert isinstance(start, AbstractState) and explorer.node(start).kind == "model"
