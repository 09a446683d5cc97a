"""Example 1: a tool-using agent loop, in an unsafe and a fixed version.

Each turn the model picks one action from a label set (``search``, ``send_email``, ``done``); the loop
runs at most 4 turns. ``UNSAFE`` sends an e-mail as soon as the model says so. ``SAFE`` first asks the
user to confirm the draft and sends only if the user said yes.

    guardrail verify examples/chains/email_agent.py:UNSAFE --property "never send_email before confirm"
    # counterexample: action 'send_email', draft 'a', then send_email, with no confirm before it
    guardrail verify examples/chains/email_agent.py:SAFE --property "never send_email before confirm"
    # proven

Run one with any model; a monitor stops the run before a step that would break the property::

    from guardrail.chains import run_chain
    result = run_chain(UNSAFE, model, monitor=["never send_email before confirm"], inputs={"request": "..."})
    result.stop_reason, result.error  # "violation", an ErrorDetail with code "chain.property_violated"

Both versions also show ``every tool result is used`` failing: a ``search`` on the last turn fetches an
inbox that nothing reads. The verifier finds that run; whether it matters is yours to decide.
"""

from __future__ import annotations

from guardrail.chains import Assign, Branch, Break, Chain, Loop, ModelStep, Step, ToolStep
from guardrail.checks import Automaton

ACTION = Automaton.regex("search|send_email|done", name="action")
DRAFT = Automaton.regex(r"[^\n]{1,500}", name="one-line draft")

TURN = """You manage the user's e-mail. Request: {{ request }}
Inbox so far: {{ inbox }}
Reply with one action: search, send_email or done."""
WRITE = "Write a one-line e-mail for this request: {{ request }}\nInbox: {{ inbox }}"


def search_inbox(request: str) -> list[str]:
    """Find messages related to the request (a stand-in for a real mailbox)."""
    return [f"Re: {request}"]


def confirm(draft: str) -> bool:
    """Ask the user whether to send ``draft`` (a stand-in: a real agent would prompt a person)."""
    return False


def send_email(draft: str) -> None:
    """Send the e-mail (a stand-in that does nothing: examples must not send mail)."""


def _agent(send: list[Step], name: str) -> Chain:
    return Chain(
        [
            Assign("inbox", []),
            Assign("status", "not sent"),
            Loop(
                [
                    ModelStep("action", TURN, ACTION),
                    Branch(
                        "action",
                        {
                            "search": [ToolStep(search_inbox, name="inbox")],
                            "send_email": [ModelStep("draft", WRITE, DRAFT), *send],
                            "done": [Break()],
                        },
                    ),
                ],
                max_iterations=4,
                name="turns",
            ),
        ],
        final="status",
        inputs={"request": str},
        name=name,
    )


UNSAFE = _agent([ToolStep(send_email, name="sent"), Assign("status", "sent"), Break()], "unsafe_email_agent")

SAFE = _agent(
    [
        ToolStep(confirm, name="approved"),
        Branch("approved", {True: [ToolStep(send_email, name="sent"), Assign("status", "sent"), Break()]}),
    ],
    "safe_email_agent",
)
