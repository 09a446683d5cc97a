"""``Schema`` and ``ToolCalls``: validate a model's JSON (or an already parsed value) with pydantic.

pydantic does the validating; this module turns its structured errors into ``ErrorDetail``s whose path is
pydantic's ``loc``, whose code is pydantic's error type (``schema.int_parsing``; see ``checks.codes``) and
whose feedback is one sentence a model can act on (``At $.age: input should be a valid integer, unable to
parse string as an integer; got "forty".``). JSON text first passes the policy every JSON check shares
(``checks.json_policy``: no NaN, no infinities, no integers over 4,300 digits, no escaped lone
surrogates). Nothing from the output can raise: pydantic's JSON parser has its own recursion limit, and
any other failure (a user validator raising, a RecursionError) becomes a rejecting verdict.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import pydantic_core
from pydantic import BaseModel, PydanticUserError, TypeAdapter, ValidationError

from guardrail._text import clip, show_char, show_value
from guardrail.checks.base import (
    DEFAULT_MAX_CHARS,
    Check,
    ErrorDetail,
    PathItem,
    Verdict,
    line_and_column,
    too_long,
)
from guardrail.checks.json_policy import text_problem
from guardrail.errors import ConfigurationError
from guardrail.models.types import Completion, Message, ToolCall

__all__ = ["DEFAULT_MAX_ERRORS", "Schema", "Tool", "ToolCalls", "ToolSpec", "ValidatedCall"]

#: pydantic can report thousands of errors for one bad list; the model only needs the first few.
DEFAULT_MAX_ERRORS = 20

Mode = Literal["auto", "json", "python"]

_SHOULD = re.compile(r"\bshould (be|have) (.+)$", re.DOTALL)
_REASON = re.compile(r", (?:unable|got|invalid)\b")
_EXPECTED_BY_TYPE = {
    "missing": "a value for this required field",
    "extra_forbidden": "no such field (extra fields are not allowed)",
    "json_invalid": "valid JSON",
    "json_type": "a JSON string",
    "recursion_loop": "a value that does not contain itself",
    "recursion_depth_exceeded": "less deeply nested data",
}


class Schema(Check):
    """Accepts values valid for a pydantic model (or any type a ``TypeAdapter`` takes); the value is the
    validated instance.

    ``check`` takes JSON text (a ``str``) or an already parsed value (a dict or list from an earlier check).
    ``mode`` makes that choice explicit when the target type is itself ``str``: ``"json"`` always parses,
    ``"python"`` never does.
    """

    def __init__(
        self,
        model: Any,
        *,
        name: str | None = None,
        mode: Mode = "auto",
        max_chars: int = DEFAULT_MAX_CHARS,
        max_errors: int = DEFAULT_MAX_ERRORS,
    ):
        if mode not in ("auto", "json", "python"):
            raise ConfigurationError(f"Schema mode must be 'auto', 'json' or 'python', not {mode!r}")
        self.model = model
        self.adapter: TypeAdapter[Any] = _adapter(model)
        self.name = name or f"schema({_type_name(model)})"
        self.mode = mode
        self.max_chars = max_chars
        self.max_errors = max_errors

    def viable(self, prefix: str) -> bool:
        """False once the text is over ``max_chars`` (no continuation can pass); pydantic cannot judge
        incomplete JSON, so anything shorter is viable."""
        return self.mode == "python" or len(prefix) <= self.max_chars

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the accepted values, for prompts and ``response_format``."""
        return self.adapter.json_schema()

    def check(self, value: Any) -> Verdict:
        as_json = self.mode == "json" or (self.mode == "auto" and isinstance(value, str))
        if as_json and not isinstance(value, str):
            raise ConfigurationError(
                f"{self.name} is in mode='json' and needs JSON text, but was given a {type(value).__name__}"
            )
        if not as_json:
            return _validate(self.adapter, value, None, self.name, (), self.max_errors, _SCHEMA_CODES)
        rejected = _json_text_rejected(value, self.name, (), self.max_chars)
        if rejected is not None:
            return rejected
        return _validate(self.adapter, value, value, self.name, (), self.max_errors, _SCHEMA_CODES)


@dataclass(frozen=True)
class Tool:
    """A function the model may call: its name, the pydantic model of its arguments, what it does."""

    name: str
    arguments: type[BaseModel]
    description: str = ""

    def openai(self) -> dict[str, Any]:
        """This tool in the OpenAI ``tools=[...]`` format."""
        description = self.description or inspect.cleandoc(self.arguments.__doc__ or "")
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": description,
                "parameters": self.arguments.model_json_schema(),
            },
        }


@dataclass(frozen=True)
class ValidatedCall:
    """One accepted tool call: the tool's name and its validated arguments (``id`` as the model sent it)."""

    name: str
    arguments: BaseModel
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments.model_dump(mode="json"), "id": self.id}


ToolSpec = Tool | tuple[str, type[BaseModel]] | tuple[str, type[BaseModel], str]

_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class _RawCall:
    """One call as found in the checked value: where it is, and what the model wrote."""

    path: tuple[PathItem, ...]
    id: str
    name: Any
    arguments: Any


class ToolCalls(Check):
    """Accepts tool calls (OpenAI tools format) to known tools with valid arguments.

    ``check`` judges what the model returned: a ``Completion`` (its native ``tool_calls``; a completion
    without any is read as JSON text, for models without tool support, and prose there is rejected as
    ``tool.text_instead_of_call``), a list of ``ToolCall``s, JSON text / parsed JSON of one call
    ``{"name": ..., "arguments": {...}}`` or a list of them (OpenAI's ``{"type": "function", "function":
    {...}}`` wrapping and string-encoded arguments are accepted too), or a whole transcript (a list of
    ``Message``s ending with the assistant's answer), whose tool messages must each answer a call made before
    them. Calls are validated one by one; each error carries the JSON path into the call
    (``$[1].arguments.city``; in a transcript ``$[4].tool_calls[1].arguments.city``) and a code. Call ids
    must be unique. The value is a list of ``ValidatedCall``.

    A Guard sends ``openai_tools()`` with a chat request when the model supports tools, hands this check the
    whole ``Completion`` (``judges_completions``), and re-asks a rejected call through the tool protocol.
    """

    judges_completions = True

    def __init__(
        self,
        tools: Iterable[ToolSpec],
        *,
        name: str = "tool_calls",
        min_calls: int = 1,
        max_calls: int | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        max_errors: int = DEFAULT_MAX_ERRORS,
    ):
        self.tools: dict[str, Tool] = {}
        for spec in tools:
            tool = _tool(spec)
            if tool.name in self.tools:
                raise ConfigurationError(f"two tools are named {tool.name!r}; tool names must be unique")
            self.tools[tool.name] = tool
        if not self.tools:
            raise ConfigurationError("ToolCalls needs at least one tool")
        if min_calls < 0 or (max_calls is not None and max_calls < max(min_calls, 1)):
            raise ConfigurationError(f"bad call limits: min_calls={min_calls}, max_calls={max_calls}")
        self._adapters = {n: TypeAdapter(t.arguments) for n, t in self.tools.items()}
        self.name = name
        self.min_calls = min_calls
        self.max_calls = max_calls
        self.max_chars = max_chars
        self.max_errors = max_errors

    def viable(self, prefix: str) -> bool:
        """False once the text is over ``max_chars``; anything shorter may still become valid calls."""
        return len(prefix) <= self.max_chars

    def openai_tools(self) -> list[dict[str, Any]]:
        """The ``tools=[...]`` list to send with an OpenAI chat request."""
        return [tool.openai() for tool in self.tools.values()]

    def request_tools(self) -> tuple[dict[str, Any], ...]:
        return tuple(self.openai_tools())

    def check(self, value: Any) -> Verdict:
        errors: list[ErrorDetail] = []
        seen_ids: set[str] = set()
        transcript = _is_transcript(value)
        found = self._transcript(value, errors, seen_ids) if transcript else self._calls(value)
        if isinstance(found, Verdict):
            return Verdict.reject(*errors, *found.errors) if errors else found
        calls = found
        if len(calls) < self.min_calls:
            errors.append(
                self._error(
                    "tool.none",
                    (),
                    "no tool call" if not calls else f"{len(calls)} tool calls, fewer than {self.min_calls}",
                    f"Call one of the tools: {self._known()}.",
                    "a tool call",
                )
            )
        if self.max_calls is not None and len(calls) > self.max_calls:
            errors.append(
                self._error(
                    "tool.too_many",
                    (),
                    f"{len(calls)} tool calls, more than the {self.max_calls} allowed",
                    f"Make at most {self.max_calls} tool call{'s' if self.max_calls != 1 else ''}.",
                    f"at most {self.max_calls} tool calls",
                )
            )
        validated: list[ValidatedCall] = []
        unchecked = False
        for call in calls:
            if len(errors) >= self.max_errors:
                unchecked = True  # enough to act on; the rest would only lengthen the feedback
                break
            if call.id and call.id in seen_ids:
                errors.append(self._duplicate_id(call.path, call.id))
                continue
            seen_ids.add(call.id)
            verdict = self._one(call)
            if verdict.ok:
                validated.append(ValidatedCall(name=call.name, arguments=verdict.value, id=call.id))
            else:
                errors.extend(verdict.errors)
        if errors:
            return Verdict.reject(*_capped(errors, self.max_errors, self.name, unchecked=unchecked))
        return Verdict.accept(validated)

    def _one(self, call: _RawCall) -> Verdict:
        name, arguments = call.name, call.arguments
        if not isinstance(name, str) or name not in self.tools:
            return Verdict.reject(
                self._error(
                    "tool.unknown",
                    (*call.path, "name"),
                    f"unknown tool {show_value(name)}",
                    f"There is no tool named {show_value(name)}; call one of: {self._known()}.",
                    f"one of: {self._known()}",
                )
            )
        where: tuple[PathItem, ...] = (*call.path, "arguments")
        text = arguments if isinstance(arguments, str) else None
        if text is not None:
            rejected = _json_text_rejected(text, self.name, where, self.max_chars)
            if rejected is not None:
                return rejected
        return _validate(
            self._adapters[name], arguments, text, self.name, where, self.max_errors, _TOOL_CODES
        )

    def _calls(self, value: Any) -> list[_RawCall] | Verdict:
        """The calls in ``value``, or a rejection saying why there are none."""
        in_completion = isinstance(value, Completion)
        if isinstance(value, Completion):
            value = list(value.tool_calls) if value.tool_calls else value.text
        if isinstance(value, str):
            text = value
            rejected = _json_text_rejected(text, self.name, (), self.max_chars)
            if rejected is not None:
                return rejected
            try:
                value = pydantic_core.from_json(text.encode("utf-8"))
            except Exception as e:  # ValueError for bad JSON, including nesting too deep
                if in_completion and not _looks_like_json(text):
                    return Verdict.reject(self._text_instead_of_call(text))
                problem = clip(str(e), 100)
                line, column, offset = _json_error_location(text, str(e))
                return Verdict.reject(
                    ErrorDetail(
                        check=self.name,
                        code="json.invalid",
                        message=f"the tool calls are not valid JSON: {clip(str(e))}",
                        feedback=f'Write the tool call as JSON {{"name": ..., "arguments": {{...}}}}; '
                        f"the JSON was invalid: {problem}.",
                        expected="valid JSON",
                        line=line,
                        column=column,
                        offset=offset,
                    )
                )
        items = value if isinstance(value, list | tuple) else [value]
        calls: list[_RawCall] = []
        for i, item in enumerate(items):
            if isinstance(item, ToolCall):
                calls.append(_RawCall((i,), item.id, item.name, item.arguments))
                continue
            if isinstance(item, dict):
                call = item.get("function", item) if item.get("type") == "function" else item
                if isinstance(call, dict) and "name" in call:
                    raw_id = item.get("id", "")
                    calls.append(
                        _RawCall(
                            (i,),
                            raw_id if isinstance(raw_id, str) else "",
                            call["name"],
                            call.get("arguments", {}),
                        )
                    )
                    continue
            return Verdict.reject(
                self._error(
                    "tool.not_a_call",
                    (i,) if isinstance(value, list | tuple) else (),
                    f"expected a tool call object, got {show_value(item)}",
                    'Write each tool call as {"name": "<tool>", "arguments": {...}}; '
                    f"known tools: {self._known()}.",
                    'an object {"name": ..., "arguments": {...}}',
                )
            )
        return calls

    def _transcript(
        self, messages: Sequence[Message], errors: list[ErrorDetail], earlier: set[str]
    ) -> list[_RawCall] | Verdict:
        """The calls of the transcript's last (assistant) message; protocol errors go to ``errors``, and
        the ids of calls made before it to ``earlier``.

        Every tool message must answer a call made earlier in the transcript and not yet answered; call ids
        are unique across the transcript.
        """
        made: set[str] = set()
        answered: set[str] = set()
        last = len(messages) - 1
        for m, message in enumerate(messages):
            if message.role == "tool" and message.tool_call_id is not None:
                call_id = message.tool_call_id
                if call_id not in made or call_id in answered:
                    why = "answers no call made before it" if call_id not in made else "answers a call again"
                    errors.append(
                        self._error(
                            "tool.unknown_call_id",
                            (m, "tool_call_id"),
                            f"tool message {m} (tool_call_id {show_value(call_id)}) {why}",
                            f"Tool message {m} names call {show_value(call_id)}, which "
                            f"{'was never made' if call_id not in made else 'was already answered'}.",
                            "the id of an earlier, unanswered tool call",
                        )
                    )
                answered.add(call_id)
            if m == last:
                break
            for j, call in enumerate(message.tool_calls):
                if call.id in made:
                    errors.append(self._duplicate_id((m, "tool_calls", j), call.id))
                made.add(call.id)
        if messages[last].role != "assistant":
            return Verdict.reject(
                self._error(
                    "tool.none",
                    (last,),
                    f"the transcript ends with a {messages[last].role} message, not the assistant's answer",
                    f"Answer with a tool call: {self._known()}.",
                    "an assistant message with tool calls",
                )
            )
        final = messages[last]
        if not final.tool_calls:
            return self._calls(Completion(text=final.content or ""))
        earlier.update(made)  # the answer's ids must not reuse an id from earlier in the conversation
        return [
            _RawCall((last, "tool_calls", j), c.id, c.name, c.arguments)
            for j, c in enumerate(final.tool_calls)
        ]

    def _text_instead_of_call(self, text: str) -> ErrorDetail:
        return self._error(
            "tool.text_instead_of_call",
            (),
            f"the model answered in text instead of calling a tool: {show_value(text)}",
            f"Do not answer in text: call one of the tools ({self._known()}) with its arguments.",
            "a tool call",
        )

    def _duplicate_id(self, path: tuple[PathItem, ...], call_id: str) -> ErrorDetail:
        return self._error(
            "tool.duplicate_id",
            (*path, "id"),
            f"the call id {show_value(call_id)} is used by an earlier call too",
            f"Give every tool call its own id; {show_value(call_id)} is used twice.",
            "a call id not used before",
        )

    def _known(self) -> str:
        return ", ".join(self.tools)

    def _error(
        self, code: str, path: tuple[PathItem, ...], message: str, feedback: str, expected: str
    ) -> ErrorDetail:
        return ErrorDetail(
            check=self.name, code=code, message=message, feedback=feedback, expected=expected, path=path
        )


def _is_transcript(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(m, Message) for m in value)


def _looks_like_json(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[", '"')


# ------------------------------------------------------------------------------------------ helpers


def _adapter(model: Any) -> TypeAdapter[Any]:
    try:
        return TypeAdapter(model)
    except (PydanticUserError, TypeError, NameError) as e:
        raise ConfigurationError(f"cannot build a pydantic schema from {model!r}: {e}") from None


def _utf8(text: str, check: str, path: tuple[PathItem, ...]) -> bytes | Verdict:
    """``text`` as UTF-8 for pydantic's JSON parser, or a rejection if it holds a lone surrogate."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        return Verdict.reject(
            ErrorDetail(
                check=check,
                code="output.lone_surrogate",
                message=f"the output holds a lone surrogate {show_char(text[e.start])} at offset {e.start}",
                feedback=f"The answer contains an invalid character at offset {e.start}; write plain text.",
                expected="valid Unicode text",
                offset=e.start,
                path=path or None,
                found=f"U+{ord(text[e.start]):04X}",
            )
        )


def _type_name(model: Any) -> str:
    return getattr(model, "__name__", None) or clip(repr(model), 40)


def _tool(spec: ToolSpec) -> Tool:
    if isinstance(spec, Tool):
        tool = spec
    elif isinstance(spec, tuple) and len(spec) in (2, 3):
        tool = Tool(*spec)
    else:
        raise ConfigurationError(
            f"a tool is Tool(name, ArgumentsModel, description) or a (name, ArgumentsModel[, description]) "
            f"tuple, not {spec!r}"
        )
    if not isinstance(tool.name, str) or not _TOOL_NAME.fullmatch(tool.name):
        raise ConfigurationError(
            f"tool name {tool.name!r} is not allowed: use 1 to 64 letters, digits, '_' or '-' (OpenAI's rule)"
        )
    if not (isinstance(tool.arguments, type) and issubclass(tool.arguments, BaseModel)):
        raise ConfigurationError(
            f"the arguments of tool {tool.name!r} must be a pydantic BaseModel subclass, "
            f"not {tool.arguments!r}"
        )
    return tool


@dataclass(frozen=True)
class _Codes:
    """How a check names pydantic's errors: ``schema.<type>`` for ``Schema``; for the arguments of a tool
    call, one code for any validation error and one for arguments that are not JSON."""

    of_type: Callable[[str], str]
    not_json: str


_SCHEMA_CODES = _Codes(of_type=lambda kind: f"schema.{kind}", not_json="json.invalid")
_TOOL_CODES = _Codes(of_type=lambda _: "tool.arguments_invalid", not_json="tool.arguments_not_json")


def _json_text_rejected(text: str, check: str, path: tuple[PathItem, ...], max_chars: int) -> Verdict | None:
    """The rejection of JSON text before pydantic sees it: too long, a lone surrogate, or against the
    JSON policy (NaN, infinities, over-long integers, escaped lone surrogates)."""
    if (rejection := too_long(check, text, max_chars)) is not None:
        # Inside a tool call, say which: the path locates the oversized arguments.
        return Verdict.reject(replace(rejection.errors[0], path=path)) if path else rejection
    encoded = _utf8(text, check, path)
    if isinstance(encoded, Verdict):
        return encoded
    problem = text_problem(text)
    if problem is not None:
        return Verdict.reject(problem.error(check, text, path))
    return None


def _validate(
    adapter: TypeAdapter[Any],
    value: Any,
    text: str | None,
    check: str,
    prefix: tuple[PathItem, ...],
    max_errors: int,
    codes: _Codes,
) -> Verdict:
    """Validate ``value`` (JSON ``text`` when given, else a Python value) with pydantic."""
    try:
        result = (
            adapter.validate_json(text.encode("utf-8"))
            if text is not None
            else adapter.validate_python(value)
        )
    except ValidationError as e:
        details = [
            _detail(err, check, prefix, text, codes) for err in e.errors(include_url=False)[: max_errors + 1]
        ]
        return Verdict.reject(*_capped(details, max_errors, check, total=e.error_count()))
    except Exception as e:  # a user validator raising on odd input, RecursionError, a hostile __eq__...
        return Verdict.reject(
            ErrorDetail(
                check=check,
                code="schema.raised",
                message=f"validation raised {type(e).__name__}: {_said(e)}",
                feedback=f"The answer could not be validated ({type(e).__name__}: {clip(_said(e), 100)}).",
                expected="a value the schema can validate",
                path=prefix,
                found=type(e).__name__,
            )
        )
    return Verdict.accept(result)


def _said(e: Exception) -> str:
    try:
        return clip(str(e))
    except Exception:  # an exception whose __str__ raises
        return ""


def _detail(
    err: Any, check: str, prefix: tuple[PathItem, ...], text: str | None, codes: _Codes
) -> ErrorDetail:
    kind: str = err["type"]
    msg: str = err["msg"]
    path = (*prefix, *err["loc"])
    where = ErrorDetail(check=check, message="", feedback="", path=path).location()
    ctx = err.get("ctx") or {}
    if kind == "json_invalid":
        problem = clip(str(ctx.get("error", msg)), 120)
        line, column, offset = _json_error_location(text or "", str(ctx.get("error", "")))
        at = f"{where}, line {line}, column {column}" if line is not None and path else where
        if line is not None and not path:
            at = f"line {line}, column {column}"
        return ErrorDetail(
            check=check,
            code=codes.not_json,
            message=f"{at}: invalid JSON: {problem}",
            feedback=f"The answer is not valid JSON: {problem}.",
            expected="valid JSON",
            line=line,
            column=column,
            offset=offset,
            path=path or None,
        )
    said = msg[:1].lower() + msg[1:]
    found = show_value(err.get("input"))
    feedback = f"At {where}: {said}." if kind == "missing" else f"At {where}: {said}; got {found}."
    return ErrorDetail(
        check=check,
        code=codes.of_type(kind),
        message=f"{where}: {msg} [{kind}]",
        feedback=clip(feedback, 300),
        expected=_expected(kind, msg),
        path=path,
        found=None if kind == "missing" else found,
    )


_AT_LINE_COLUMN = re.compile(r"at line (\d+) column (\d+)$")


def _json_error_location(text: str, error: str) -> tuple[int | None, int | None, int | None]:
    """Line, column and offset (in characters of ``text``) of a pydantic/jiter JSON error, whose "line L
    column C" counts bytes of the UTF-8 encoding."""
    match = _AT_LINE_COLUMN.search(error)
    if match is None:
        return None, None, None
    line, byte_column = int(match.group(1)), int(match.group(2))
    line_start = 0
    for _ in range(line - 1):
        line_start = text.find("\n", line_start) + 1
        if line_start == 0:
            return None, None, None
    line_end = text.find("\n", line_start)
    line_text = text[line_start : len(text) if line_end < 0 else line_end]
    encoded = line_text.encode("utf-8", "surrogatepass")[: max(0, byte_column - 1)]
    offset = min(line_start + len(encoded.decode("utf-8", "ignore")), len(text))
    line, column = line_and_column(text, offset)
    return line, column, offset


def _expected(kind: str, msg: str) -> str:
    if kind in _EXPECTED_BY_TYPE:
        return _EXPECTED_BY_TYPE[kind]
    match = _SHOULD.search(msg)
    if match is None:
        return kind.replace("_", " ")
    verb, rest = match.groups()
    rest = _REASON.split(rest, maxsplit=1)[0]  # "a valid integer, unable to parse ..." -> "a valid integer"
    return rest if verb == "be" else f"to have {rest}"


def _capped(
    errors: Sequence[ErrorDetail],
    max_errors: int,
    check: str,
    total: int | None = None,
    unchecked: bool = False,
) -> list[ErrorDetail]:
    """At most ``max_errors`` errors, then one summary of what was left out."""
    total = len(errors) if total is None else total
    if total <= max_errors and not unchecked:
        return list(errors)
    more = total - max_errors
    left_out = f"{more} more error{'s' if more != 1 else ''}" if more > 0 else ""
    if unchecked:
        left_out += (" and " if left_out else "") + "further calls that were not checked"
    return [
        *errors[:max_errors],
        ErrorDetail(
            check=check,
            code="output.more_errors",
            message=f"... and {left_out}",
            feedback=f"Besides these, there are {left_out}; fix them all.",
            expected=None,
        ),
    ]
