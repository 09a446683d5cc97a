"""Example 2: retrieve passages, ask whether they answer the question (yes/no), then answer A–E.

    guardrail verify examples/chains/retrieval_answer.py:CHAIN --property final:choice_ae
    # proven: the answer step's check is the choice_ae grammar itself, and the fallback "E" parses too
    guardrail verify examples/chains/retrieval_answer.py:CHAIN --property 'final-regex:[A-E]'
    # counterexample: choice_ae also accepts "(A)" and surrounding whitespace, e.g. the output " A"

The yes/no step's value ranges over {True, False} (the yes_no grammar's values), so the branch on it is
decided exactly; the retrieved passages are read by both model steps (``every tool result is used``).
"""

from __future__ import annotations

from guardrail.chains import Assign, Branch, Chain, ModelStep, ToolStep
from guardrail.checks import Grammar

PASSAGES = {
    "capital": "Paris is the capital and largest city of France.",
    "boiling": "At sea level, water boils at 100 degrees Celsius.",
    "planets": "Jupiter is the largest planet in the Solar System.",
}

SUPPORTED = """Passages:
{% for p in passages %}- {{ p }}
{% endfor %}Do these passages answer the question "{{ question }}"? Answer yes or no."""

ANSWER = """Passages:
{% for p in passages %}- {{ p }}
{% endfor %}Question: {{ question }}
{% for option in options %}{{ "ABCDE"[loop.index0] }}. {{ option }}
{% endfor %}Answer with one letter."""


def retrieve(question: str) -> list[str]:
    """Passages sharing a word with the question (a stand-in for a search index)."""
    words = {w.strip("?.,").lower() for w in question.split()}
    return [text for text in PASSAGES.values() if words & {w.strip(".,").lower() for w in text.split()}]


CHAIN = Chain(
    [
        ToolStep(retrieve, name="passages"),
        ModelStep("supported", SUPPORTED, Grammar.from_file("yes_no")),
        Branch(
            "supported",
            {True: [ModelStep("answer", ANSWER, Grammar.from_file("choice_ae"))]},
            otherwise=[Assign("answer", "E")],  # option E is "none of the above" by convention
        ),
    ],
    final="answer",
    inputs={"question": str, "options": list[str]},
    name="retrieval_answer",
)
