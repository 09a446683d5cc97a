"""A prompt test, as in the README: run with `pytest examples/test_capitals_prompt.py`."""

from guardrail.checks import Automaton
from guardrail.testing import assert_pass_rate

CAPITALS = [
    ("France", "Paris"),
    ("Italy", "Rome"),
    ("Japan", "Tokyo"),
    ("Spain", "Madrid"),
    ("Egypt", "Cairo"),
    ("Russia", "Moscow"),
    ("Greece", "Athens"),
    ("Peru", "Lima"),
]
FEW_SHOT = (
    "Country: Germany\nCapital: Berlin\n\nCountry: Canada\nCapital: Ottawa\n\nCountry: {{ c }}\nCapital:"
)
ZERO_SHOT = "{{ c }}"
CITY = Automaton.regex(r" ?[A-Z][a-z]+( [A-Z][a-z]+)*")  # one capitalised name, checked as it streams


def test_few_shot_capitals(guard):
    ask = guard(FEW_SHOT, CITY, max_tokens=6, stop=("\n",))
    assert_pass_rate(lambda case: ask.run(c=case[0]).value == " " + case[1], CAPITALS, threshold=0.6)


def test_zero_shot_capitals(guard):  # a deliberately weak prompt: this test fails, showing the interval
    ask = guard(ZERO_SHOT, CITY, max_tokens=6, stop=("\n",))
    assert_pass_rate(lambda case: ask.run(c=case[0]).value == " " + case[1], CAPITALS, threshold=0.6)
