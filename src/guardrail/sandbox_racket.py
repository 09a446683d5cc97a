"""Run a Racket program against rackunit tests with the real ``racket``, contained.

The program runs inside ``guardrail.sandbox`` (rlimits, wall clock, network namespace, fresh uid: see that
module) and, within it, inside a ``racket/sandbox`` evaluator, Racket's own maintained sandbox: the program
gets a namespace of its own (``racket``), every evaluation a time and memory limit, and a security guard
that refuses network access, writing files and starting processes. So a program that loops, allocates
without bound, opens a socket or writes outside its folder is stopped, and the reason is reported.

The tests are data: rackunit forms (``check-equal?``, ``check-not-equal?``, ``check-true``,
``check-false``, ``check-=``) that the trusted runner reads from their own file, never text spliced into the
program. The runner evaluates each test's expression in the program's evaluator and its expected value in a
namespace of its own, accepts only plain data back (a struct could claim to equal anything), and compares
with rackunit. The program still shares the runner's process, so running it and the tests in separate
processes would be stronger (issue 16).

Needs Racket: ``apt-get install racket`` (Debian/Ubuntu; measured with Racket 8.7 CS). About 1 s per run,
most of it loading ``racket`` into the evaluator.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._text import clip
from .errors import ConfigurationError
from .sandbox import Finished, Isolation, Limits, SandboxStatus, run_command

__all__ = ["RacketRun", "RacketTestResult", "arun_racket", "racket_available", "run_racket"]

INSTALL_HINT = (
    "install Racket with: apt-get install racket (Debian/Ubuntu), then check that `racket` is on PATH"
)

#: Seconds and megabytes each evaluation (loading the program, each test) may use inside the evaluator.
EVAL_SECONDS = 5.0
EVAL_MB = 256

_RUNNER_FILE = "runner.rkt"
_PROGRAM_FILE = "program.rkt"
_TESTS_FILE = "tests.rktd"

_RUNNER = r"""
#lang racket/base
;; guardrail's Racket runner (trusted). The candidate program runs inside a racket/sandbox evaluator:
;; a namespace of its own, each evaluation limited in time and memory, no network, no files to write, no
;; processes. The tests are data (tests.rktd), read here and never spliced into the program: each test's
;; expression is evaluated in the evaluator, its expected value here, and rackunit compares plain data.
(require racket/sandbox racket/file racket/list json rackunit)

(define token (read-line))
(define arguments (current-command-line-arguments))
(define eval-seconds (string->number (vector-ref arguments 0)))
(define eval-mb (string->number (vector-ref arguments 1)))

(define (clip s) (if (> (string-length s) 400) (string-append (substring s 0 400) " ...") s))
(define (message-of e) (clip (if (exn? e) (exn-message e) (format "raised ~.s" e))))
(define (report! h)
  (call-with-output-file ".guardrail_done" #:exists 'truncate
    (lambda (out) (write-json (hash-set h 'token token) out))))

(define (read-all in)
  (parameterize ([read-accept-reader #f] [read-accept-lang #f])
    (let loop ([acc '()])
      (define d (read in))
      (if (eof-object? d) (reverse acc) (loop (cons d acc))))))

(define source (file->string "program.rkt"))
(define tests
  (with-handlers ([exn:fail? (lambda (e)
                               (report! (hasheq 'loaded #f 'tests_error (message-of e) 'results '()))
                               (exit 0))])
    (call-with-input-file "tests.rktd" read-all)))
(define trusted (make-base-namespace))

;; Only plain data crosses back: a struct could claim to be equal to anything.
(define (plain? v)
  (or (number? v) (string? v) (boolean? v) (char? v) (symbol? v) (null? v) (void? v)
      (and (pair? v) (plain? (car v)) (plain? (cdr v)))
      (and (vector? v) (for/and ([x (in-vector v)]) (plain? x)))))

(define ev
  (with-handlers ([(lambda (e) #t)
                   (lambda (e)
                     (report! (hasheq 'loaded #f 'error (message-of e) 'results '()))
                     (exit 0))])
    (parameterize ([sandbox-output 'string]
                   [sandbox-error-output 'string]
                   [sandbox-memory-limit eval-mb]
                   [sandbox-eval-limits (list eval-seconds eval-mb)])
      (if (regexp-match? #rx"^[ \t\r\n]*#lang" source)
          (make-module-evaluator source)
          (make-evaluator 'racket source)))))

;; After a test runs out of time or memory the evaluator is spent: the rest are not run.
(define spent #f)
(define (spending? why)
  (regexp-match? #rx"out of time|out-of-memory|out of memory|terminated" why))

(define (run-test t)
  (define (fail why)
    (when (spending? why) (set! spent why))
    (hasheq 'ok #f 'message why))
  (with-handlers ([(lambda (e) #t) (lambda (e) (fail (message-of e)))])
    (define (actual expr)
      (define v (ev expr))
      (unless (plain? v) (error (quote test) "the value is not plain data: ~.s" v))
      v)
    (define (expected expr) (eval expr trusted))
    (define failed #f)
    (parameterize ([current-check-handler (lambda (e) (set! failed e))])
      (case (and (pair? t) (car t))
        [(check-equal?)
         (define a (actual (cadr t)))
         (define x (expected (caddr t)))
         (check-equal? a x)
         (when failed (set! failed (format "got ~.s, expected ~.s" a x)))]
        [(check-not-equal?)
         (define a (actual (cadr t)))
         (define x (expected (caddr t)))
         (check-not-equal? a x)
         (when failed (set! failed (format "got ~.s, which it should not be" a)))]
        [(check-true check-false)
         (define a (actual (cadr t)))
         (if (eq? (car t) 'check-true) (check-true a) (check-false a))
         (when failed
           (set! failed (format "got ~.s, expected ~a" a (if (eq? (car t) 'check-true) "#t" "#f"))))]
        [(check-=)
         (define a (actual (cadr t)))
         (define x (expected (caddr t)))
         (check-= a x (expected (cadddr t)))
         (when failed (set! failed (format "got ~.s, expected ~.s" a x)))]
        [else (set! failed (format "not a test guardrail runs: ~.s" t))]))
    (if failed (fail failed) (hasheq 'ok #t))))

(report! (hasheq 'loaded #t
                 'results (for/list ([t (in-list tests)])
                            (if spent
                                (hasheq 'ok #f
                                        'message (format "not run: an earlier test ended with ~a" spent))
                                (run-test t)))))
"""


@dataclass(frozen=True)
class RacketTestResult:
    """One test: its form as written, whether it passed, and why not."""

    test: str
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class RacketRun:
    """The outcome of ``run_racket``: ``passed`` only when the program loaded and every test passed."""

    status: SandboxStatus
    detail: str
    loaded: bool
    results: tuple[RacketTestResult, ...]
    stdout: str
    stderr: str
    duration_s: float
    isolation: Isolation

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def racket_available() -> bool:
    return shutil.which("racket") is not None


def run_racket(
    program: str,
    tests: Sequence[str] | str,
    *,
    limits: Limits | None = None,
    eval_seconds: float = EVAL_SECONDS,
    eval_mb: int = EVAL_MB,
) -> RacketRun:
    """Run ``program`` (Racket source: top-level forms, or a ``#lang`` module) against ``tests`` (rackunit
    forms, as one text or one per item); never raises because of what the program does.

    ``limits`` bound the whole run (default: enough for every test to use its ``eval_seconds``).
    Raises ``ConfigurationError`` when ``racket`` is not installed.
    """
    racket = shutil.which("racket")
    if racket is None:
        raise ConfigurationError(f"the racket binary was not found; {INSTALL_HINT}")
    forms = [tests] if isinstance(tests, str) else list(tests)
    if limits is None:
        budget = math.ceil(10 + eval_seconds * (1 + max(1, len(forms))))
        limits = Limits(wall_s=budget + 5, cpu_s=budget, memory_mb=max(1024, 4 * eval_mb))
    token = secrets.token_hex(16)
    finished = run_command(
        [racket, _RUNNER_FILE, repr(float(eval_seconds)), str(int(eval_mb))],
        {_RUNNER_FILE: _RUNNER, _PROGRAM_FILE: program, _TESTS_FILE: "\n".join(forms) + "\n"},
        limits=limits,
        stdin=token + "\n",
    )
    return _outcome(finished, token, _test_texts(forms), limits)


async def arun_racket(
    program: str,
    tests: Sequence[str] | str,
    *,
    limits: Limits | None = None,
    eval_seconds: float = EVAL_SECONDS,
    eval_mb: int = EVAL_MB,
) -> RacketRun:
    """``run_racket`` off the event loop."""
    return await asyncio.to_thread(
        run_racket, program, tests, limits=limits, eval_seconds=eval_seconds, eval_mb=eval_mb
    )


def _test_texts(forms: Sequence[str]) -> list[str]:
    """Each test form's text, for reports (a form per non-empty line when one text holds several)."""
    lines = [line.strip() for form in forms for line in form.splitlines()]
    return [line for line in lines if line and not line.startswith(";")]


def _outcome(finished: Finished, token: str, texts: list[str], limits: Limits) -> RacketRun:
    def run(
        status: SandboxStatus, detail: str, loaded: bool = False, results: Sequence[RacketTestResult] = ()
    ) -> RacketRun:
        return RacketRun(
            status,
            detail,
            loaded,
            tuple(results),
            finished.stdout,
            finished.stderr,
            finished.duration_s,
            finished.isolation,
        )

    if finished.start_error is not None:
        return run("crashed", f"could not start racket: {finished.start_error}")
    report = _report(finished.done, token)
    if report is None:
        return run(*_unreported(finished, limits))
    if "tests_error" in report:
        return run(
            "crashed", f"the tests could not be read (fix the suite): {clip(str(report['tests_error']), 300)}"
        )
    if not report.get("loaded"):
        why = str(report.get("error", "unknown error"))
        return run(_kind(why), f"the program did not load: {clip(why, 300)}")
    raw = report.get("results")
    entries = raw if isinstance(raw, list) else []
    results = [
        RacketTestResult(
            texts[i] if i < len(texts) and len(texts) == len(entries) else f"test {i + 1}",
            bool(e.get("ok")) if isinstance(e, dict) else False,
            str(e.get("message", "")) if isinstance(e, dict) else "",
        )
        for i, e in enumerate(entries)
    ]
    failed = [r for r in results if not r.ok]
    if not results:
        return run("failed", "the program loaded, but there were no tests to run", True, results)
    if not failed:
        return run("passed", f"all {len(results)} tests passed", True, results)
    first = failed[0]
    detail = (
        f"{len(failed)} of {len(results)} tests failed; "
        f"first: {clip(first.test, 120)}: {clip(first.message, 200)}"
    )
    return run(_kind(first.message), detail, True, results)


def _report(done: str, token: str) -> dict[str, Any] | None:
    try:
        report = json.loads(done) if done else None
    except ValueError:
        return None
    if not isinstance(report, dict) or report.get("token") != token:
        return None
    return report


def _kind(message: str) -> SandboxStatus:
    if "out of time" in message:
        return "timeout"
    if "out-of-memory" in message or "out of memory" in message:
        return "memory"
    return "failed"


def _unreported(finished: Finished, limits: Limits) -> tuple[SandboxStatus, str]:
    """Why the runner ended without its report: the process-level limits, or a crash."""
    last = next((ln.strip() for ln in reversed(finished.stderr.splitlines()) if ln.strip()), "")
    if finished.timed_out:
        return "timeout", f"killed after the wall-clock limit of {limits.wall_s:g} s"
    code = finished.returncode
    if code is not None and code < 0 and code in (-9, -24):  # SIGKILL, SIGXCPU
        return "timeout", f"killed at the CPU-time limit of {limits.cpu_s} s"
    if "out of memory" in finished.stderr:
        return "memory", f"exceeded the memory limit of {limits.memory_mb} MB"
    return "crashed", f"racket ended without a report (status {code}): {clip(last, 300)}"
