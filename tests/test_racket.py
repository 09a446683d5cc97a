"""The Racket check (grammar, define-only rule, extraction, prefixes) and real Racket in the sandbox."""

from __future__ import annotations

import pytest

from guardrail.checks.racket import Racket, RacketTests
from guardrail.guard import Guard
from guardrail.models import ScriptedModel
from guardrail.sandbox_racket import run_racket

from .conftest import requires_racket

ADD = "(define (add a b)\n  (+ a b))"
TESTS = ["(check-equal? (add 1 2) 3)", "(check-equal? (add 0 0) 0)"]


@pytest.mark.parametrize(
    "program",
    [
        ADD,
        "#lang racket\n(define (f x) (* x x))\n(f 3)",
        '(define v #(1 2)) (define h #hash((a . 1))) (define r #rx"a+") (define n #x1F) (define c #\\a)',
        '; a comment\n#| a block |#\n(define (g) \'(1 `(2 ,3) #t #f "s"))\n#;(ignored form)',
        "[define x 1]",
    ],
)
def test_racket_programs_are_accepted_as_their_text(program: str) -> None:
    verdict = Racket().check(program)
    assert verdict.ok and verdict.value == program


@pytest.mark.parametrize(
    ("output", "line", "column"),
    [
        ("Sure! Here is the code.", 1, 1),
        ("Sure! Here is the code:\n" + ADD, 1, 1),
        ("```racket\n" + ADD + "\n```", 1, 1),
        (ADD + "\nThis adds two numbers.", 3, 1),
        (ADD + "\n\n```", 4, 1),
        ("", 1, 1),
    ],
    ids=["prose", "prose_then_code", "fenced", "trailing_explanation", "trailing_fence", "empty"],
)
def test_anything_but_a_program_is_rejected_where_it_starts(output: str, line: int, column: int) -> None:
    verdict = Racket().check(output)
    assert not verdict.ok
    assert (verdict.errors[0].line, verdict.errors[0].column) == (line, column)


def test_define_only_is_the_seed_rule() -> None:
    check = Racket(define_only=True)
    assert check.check(ADD + "\n(define (twice x) (add x x))").ok
    (error,) = check.check(ADD + "\n(add 1 2)").errors
    assert (error.code, error.line, error.column, error.found) == ("racket.not_a_definition", 3, 2, "add")
    (error,) = check.check("#lang racket\n" + ADD).errors
    assert error.code == "racket.lang_line" and error.line == 1
    assert check.check("(definitely 1)").errors[0].found == "definitely"
    assert Racket().check(ADD + "\n(add 1 2)").ok  # without the rule, any top-level form


def test_extract_finds_the_program_in_prose_and_fences() -> None:
    check = Racket(extract=True, define_only=True)
    chatty = "Sure! Here is the code:\n\n" + ADD + "\n\nThis adds (two numbers) together."
    assert check.check(chatty).value == ADD
    assert check.check("```racket\n" + ADD + "\n```\nHope this helps!").value == ADD
    assert not check.check("I cannot write Racket, sorry.").ok


def test_prefixes_are_judged_on_a_stream() -> None:
    check = Racket(define_only=True)
    assert check.judges_prefixes
    for prefix in ["", "(", "(def", "(define (f x)", ADD + "\n(", ADD + "\n(define-values"]:
        assert check.viable(prefix), prefix
    for prefix in ["Sure", "```", ADD + "\nThis", ADD + "\n(add", "(defx"]:
        assert not check.viable(prefix), prefix
    assert Racket().viable(ADD + "\n(add") and not Racket().viable(ADD + " This")


def test_a_guard_cuts_a_chatty_stream_at_the_first_stray_word() -> None:
    model = ScriptedModel(["Sure! Here is the code: " + ADD, ADD])
    result = Guard(model, "Write add in Racket:\n", Racket(define_only=True)).run()
    assert result.ok and result.value == ADD
    assert result.attempts[0].aborted_at is not None and result.attempts[0].aborted_at <= len("Sure")


# --- real Racket --------------------------------------------------------------------------------------


@requires_racket
@pytest.mark.racket
def test_a_correct_program_passes_its_tests() -> None:
    run = run_racket(ADD, TESTS)
    assert run.passed and run.loaded and [r.ok for r in run.results] == [True, True]
    assert RacketTests(TESTS).check(ADD).ok


@requires_racket
@pytest.mark.racket
def test_a_wrong_program_fails_with_the_test_and_the_values() -> None:
    run = run_racket("(define (add a b) (- a b))", TESTS)
    assert run.status == "failed" and [r.ok for r in run.results] == [False, True]
    assert run.results[0].test == TESTS[0] and run.results[0].message == "got -1, expected 3"
    verdict = RacketTests(TESTS).check("(define (add a b) (- a b))")
    assert verdict.errors[0].code == "code.failed" and "got -1, expected 3" in verdict.errors[0].feedback


@requires_racket
@pytest.mark.racket
@pytest.mark.parametrize(
    ("program", "status", "reason"),
    [
        ("(define (add a b) (let loop () (loop)))", "timeout", "out of time"),
        (
            "(define (add a b) (let loop ([l '()]) (loop (cons (make-vector 100000) l))))",
            "memory",
            "out-of-memory",
        ),
        ('(define socket (tcp-connect "93.184.216.34" 80))', "failed", "network access denied"),
        ("(define (add a b) (tcp-listen 8080) 3)", "failed", "network access denied"),
        ('(with-output-to-file "/tmp/guardrail-escape" (lambda () (display 1)))', "failed", "access denied"),
        (
            '(define (add a b) (call-with-output-file "../up" (lambda (o) (display 1 o))) 3)',
            "failed",
            "access denied",
        ),
        ('(define (add a b) (system "id") 3)', "failed", "access denied"),
        ("(define (add a b) (exit 0))", "failed", "terminated"),
        (
            "(struct liar () #:property prop:equal+hash\n"
            "  (list (lambda (a b r) #t) (lambda (a r) 1) (lambda (a r) 1)))\n"
            "(define (add a b) (liar))",
            "failed",
            "not plain data",
        ),
    ],
    ids=[
        "loops",
        "allocates",
        "connects",
        "listens",
        "writes_tmp",
        "writes_up",
        "runs_a_process",
        "exits",
        "forges_equal",
    ],
)
def test_hostile_programs_are_stopped_and_scored_failing(program: str, status: str, reason: str) -> None:
    verdict = RacketTests(TESTS, eval_seconds=2).check(program)
    assert not verdict.ok
    (error,) = verdict.errors
    assert error.code == f"code.{status}" and reason in error.message and reason in error.feedback


@requires_racket
@pytest.mark.racket
def test_later_tests_are_skipped_once_one_runs_out_of_time() -> None:
    run = run_racket("(define (add a b) (if (> a 0) (let loop () (loop)) (+ a b)))", TESTS, eval_seconds=1)
    assert [r.ok for r in run.results] == [False, False]
    assert run.results[1].message.startswith("not run: an earlier test ended with")


@requires_racket
@pytest.mark.racket
def test_a_module_program_and_unreadable_tests() -> None:
    assert run_racket("#lang racket/base\n" + ADD, TESTS).passed
    broken = run_racket(ADD, ["(check-equal? (add 1 2)"])
    assert broken.status == "crashed" and "tests could not be read" in broken.detail
