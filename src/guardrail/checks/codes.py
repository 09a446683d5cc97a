"""The error codes of the shipped checks: the one table of them.

Every ``ErrorDetail`` a shipped check builds carries one of these codes. Programs compare codes (and
locations), never messages: messages and feedback are prose and may be reworded; a code, once shipped,
keeps its meaning. A code is ``family.kind``; ``<...>`` marks a family whose kinds come from a
maintained library (pydantic's error types, the JSON Schema keywords) or from the sandbox's statuses.

==============================  ========================  ====================================================
code                            raised by                 meaning
==============================  ========================  ====================================================
output.too_long                 every check reading text  the output is over the check's max_chars
output.lone_surrogate           Grammar, Schema,          the text holds a lone surrogate, which is no
                                ToolCalls                 character
output.too_deep                 Grammar, JSONSchema       nested deeper than the check's depth limit
output.more_errors              Schema, ToolCalls         stands for the errors left out after the first few
grammar.unexpected_token        Grammar                   a token the grammar does not allow there
grammar.unexpected_character    Grammar                   no token of the grammar can go on there
grammar.unexpected_end          Grammar                   the text stops before the grammar allows it
grammar.unusable                Grammar                   it parses, but the transformer cannot use it
grammar.timeout                 Grammar (Earley)          the parse took longer than the check's timeout
grammar.not_found               Grammar (extract=True)    nothing in the reply can begin an answer
json.invalid                    Schema, JSONSchema,       the text is not JSON (RFC 8259)
                                ToolCalls
json.non_finite                 every JSON check          NaN, Infinity, or a number too large for a float
json.integer_too_long           every JSON check          an integer of more than 4,300 digits
json.lone_surrogate             every JSON check          an escaped lone surrogate ("\\ud800"); in a parsed
                                                          value, a string holding one
json.not_json                   JSONSchema                a parsed value JSON cannot hold (a non-string key,
                                                          a set, an object)
schema.<pydantic_type>          Schema                    pydantic's own error type: schema.int_parsing,
                                                          schema.missing, schema.extra_forbidden, ...
schema.raised                   Schema, ToolCalls         validation raised something other than a validation
                                                          error
jsonschema.<keyword>            JSONSchema                the failing keyword: jsonschema.required,
                                                          jsonschema.type, jsonschema.uniqueItems, ...
jsonschema.raised               JSONSchema                the validator raised on this instance
tool.none                       ToolCalls                 fewer calls than min_calls
tool.too_many                   ToolCalls                 more calls than max_calls
tool.not_a_call                 ToolCalls                 an item that is not {"name": ..., "arguments": ...}
tool.unknown                    ToolCalls                 a call to a tool that does not exist
tool.arguments_not_json         ToolCalls                 a call's arguments string is not JSON
tool.arguments_invalid          ToolCalls                 the arguments fail the tool's model (pydantic's type
                                                          is in the message)
tool.text_instead_of_call       ToolCalls                 the model answered in prose where a tool call was
                                                          wanted
tool.duplicate_id               ToolCalls                 a call id used by an earlier call (the tool protocol
                                                          answers calls by id)
tool.unknown_call_id            ToolCalls (transcript)    a tool message answering no call made before it, or
                                                          one already answered
racket.not_a_definition         Racket (define_only)      a top-level form that is not a (define ...)
racket.lang_line                Racket (define_only)      a #lang line, where the program must begin with
                                                          (define
automaton.no_match              Automaton                 a character after which nothing can be accepted
automaton.incomplete            Automaton                 the text stops where more is needed
automaton.empty                 Automaton                 the automaton accepts no text at all
predicate.false                 Predicate                 the predicate returned False
predicate.message               Predicate                 the predicate returned a message saying what is
                                                          wrong
predicate.raised                Predicate, Converter      the callable raised on this value
answer.missing                  answer checks             no answer of the right kind in the output
answer.wrong                    answer checks             an answer, not the expected one
code.<status>                   PassesTests,              the sandbox's status: code.failed, code.timeout,
                                RacketTests               code.memory, code.crashed
stream.dead_prefix              the Guard, streaming      a streamed prefix that no continuation can fix
==============================  ========================  ====================================================

Choices worth knowing:

- ``Schema`` prefixes pydantic's error type with ``schema.`` so that every code names its family; the
  type itself is pydantic's, unchanged (``schema.int_parsing``). Pydantic's ``json_invalid`` is the one
  exception: it becomes ``json.invalid``, located at the line and column pydantic reports.
- One JSON policy: ``Grammar("json")``, ``Schema``, ``JSONSchema`` and ``ToolCalls`` all reject NaN,
  Infinity, numbers that overflow a float (``1e999999``), integers over 4,300 digits (Python's limit for
  converting them) and escaped lone surrogates, each with a located error (``checks.json_policy``).
- A check of your own that sets no code gets ``"invalid"``; ``Verdict.signature`` then falls back to
  comparing its message.
"""
