"""A Guard on the embedded model: JSON that must match a pydantic model; a bad answer is cut off mid-stream,
rejected and repaired. Run: python examples/guard_json.py"""

from pydantic import BaseModel

from guardrail import Budget, Grammar, Guard, Schema, resolve_model
from guardrail.guard import Resample


class Person(BaseModel):
    name: str
    age: int


PROMPT = 'Sentence: Yuki is 27 years old.\nJSON: {"name": "Yuki", "age": 27}\n\nSentence: {{ s }}\nJSON:'

# A base model does not follow instructions such as "fix your answer", so the repair that works for it is
# drawing a fresh sample (seeded: the same run gives the same trace). Chat models do well with "reask".
guard = Guard(
    resolve_model("local"),
    PROMPT,
    Grammar.from_file("json") >> Schema(Person),
    repair=Resample(temperature=1.0),
    budget=Budget(attempts=4),
    max_tokens=40,
    stop=("\n",),
)
result = guard.run(s="Ivan is 3 and a half.")
print(result.value)
print(result.format_trace())
