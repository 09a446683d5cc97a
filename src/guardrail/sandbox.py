"""Run untrusted Python (model-written code and its tests) in a contained subprocess.

Bad code is a result, never an exception: ``run_python`` returns a ``SandboxResult`` whose status is
``passed``, ``failed``, ``timeout``, ``memory`` or ``crashed``.

What is enforced, and how (``SandboxResult.isolation`` says which layer a run actually got):

* CPU time, address space, file size, open files and core dumps: ``setrlimit`` in the child before exec
  (always). The file-size limit also caps the captured stdout/stderr, which go to files, not pipes.
* Wall clock: the parent kills the child's whole process group at the deadline (always).
* Network: a fresh network namespace (``unshare --net``, util-linux), which has no route anywhere, when we
  may create one (root); otherwise only the bootstrap's replacement of ``socket.socket``, which code can
  undo (it is a courtesy, not a wall).
* Processes: as root the child drops to a fresh, otherwise unused uid (``setpriv``, util-linux) with
  ``RLIMIT_NPROC=1``, so the kernel refuses fork, vfork, clone and threads. Without root only the
  bootstrap's replacement of ``os.fork``/``subprocess`` applies, which code can undo.
* Files: a private temporary working directory, removed afterwards. The child can still read what its
  uid may read (world-readable files) and write to world-writable places such as /tmp.

A pass means the program ran to its end: the bootstrap reports completion with a token the program is
not given, so ``sys.exit(0)`` or ``os._exit(0)`` before the tests ran is a failure. The tests share the
interpreter with the code they test, so a program that goes looking for the token in the interpreter's
memory could still forge a pass; run truly hostile code in a VM.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

SandboxStatus = Literal["passed", "failed", "timeout", "memory", "crashed"]

_EXIT_EXCEPTION = 1
_EXIT_MEMORY = 3
_EXIT_EARLY = 4
_DONE_FILE = ".guardrail_done"
_PROGRAM_FILE = "program.py"
_BOOTSTRAP_FILE = "_guardrail_bootstrap.py"

# The bootstrap is trusted code of ours; the untrusted program is run from its file by runpy.
_BOOTSTRAP = r"""
import os, sys

def _refuse(what):
    def refused(*args, **kwargs):
        raise PermissionError(f"guardrail sandbox: {what} is not allowed here")
    return refused

def _contain():
    import socket, subprocess
    class NoSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            raise PermissionError("guardrail sandbox: network access is not allowed here")
    socket.socket = NoSocket
    for name in ("create_connection", "create_server", "socketpair", "fromfd", "getaddrinfo"):
        setattr(socket, name, _refuse("network access"))
    for name in ("fork", "forkpty", "vfork", "system", "popen", "posix_spawn", "posix_spawnp",
                 "execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe",
                 "spawnv", "spawnve", "spawnvp", "spawnvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe",
                 "kill", "killpg"):
        if hasattr(os, name):
            setattr(os, name, _refuse("starting or signalling processes"))
    subprocess.Popen = _refuse("starting processes")
    for name in ("run", "call", "check_call", "check_output", "getoutput", "getstatusoutput"):
        setattr(subprocess, name, _refuse("starting processes"))

def _main():
    # The completion token arrives on stdin's first line, so it is in no file and no environment block.
    token = sys.stdin.readline().strip()
    _contain()
    import runpy, traceback
    sys.argv = ["program.py"]
    sys.path.insert(0, os.getcwd())  # -I leaves the working directory off the path; extra files live there
    try:
        runpy.run_path("program.py", run_name="__main__")
    except MemoryError:
        sys.stderr.write("MemoryError: the program ran out of its memory limit\n")
        sys.stderr.flush()
        os._exit(3)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            sys.stderr.write(f"SystemExit: the program exited with status {exc.code!r}\n")
            sys.stderr.flush()
            os._exit(1)
        sys.stderr.write("SystemExit: the program exited before it finished\n")
        sys.stderr.flush()
        os._exit(4)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    sys.stdout.flush()
    with open(".guardrail_done", "w") as f:
        f.write(token)

_main()
"""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one sandboxed run."""

    wall_s: float = 10.0
    cpu_s: int = 5
    memory_mb: int = 512
    #: Largest file the child may write, stdout and stderr included (RLIMIT_FSIZE).
    file_bytes: int = 4_000_000
    #: How much of stdout and of stderr is kept in the result.
    output_chars: int = 20_000
    open_files: int = 64


@dataclass(frozen=True)
class Isolation:
    """Which layer enforced network and process containment in a run."""

    network: Literal["namespace", "bootstrap"]
    processes: Literal["uid+rlimit", "bootstrap"]
    uid: int | None = None

    def describe(self) -> str:
        net = (
            "network: own namespace (unshare --net), no route anywhere"
            if self.network == "namespace"
            else "network: sockets replaced inside Python only (not enforced against hostile code)"
        )
        procs = (
            f"processes: fresh uid {self.uid} with RLIMIT_NPROC=1 (kernel refuses fork and threads)"
            if self.processes == "uid+rlimit"
            else "processes: os.fork/subprocess replaced inside Python only "
            "(not enforced against hostile code)"
        )
        return f"{net}; {procs}"


@dataclass(frozen=True)
class SandboxResult:
    status: SandboxStatus
    detail: str
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    isolation: Isolation
    truncated: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class _Plan:
    network: Literal["namespace", "bootstrap"]
    processes: Literal["uid+rlimit", "bootstrap"]
    prefix: tuple[str, ...] = field(default=())


_uid_counter = itertools.count()
_uid_lock = threading.Lock()


def _fresh_uid() -> int:
    # A uid no other process uses, so RLIMIT_NPROC=1 counts only this child; distinct per concurrent run.
    with _uid_lock:
        n = next(_uid_counter)
    return 1_000_000 + (os.getpid() % 20_000) * 1_000 + n % 1_000


@cache
def _plan() -> _Plan:
    """Probe once which containment this machine allows."""
    unshare, setpriv = shutil.which("unshare"), shutil.which("setpriv")
    if os.geteuid() == 0 and unshare and setpriv:
        probe = [
            unshare,
            "--net",
            "--",
            setpriv,
            "--reuid=1999999",
            "--regid=1999999",
            "--clear-groups",
            "--",
            "/bin/true",
        ]
        if _quiet_ok(probe):
            return _Plan("namespace", "uid+rlimit", (unshare, "--net", "--"))
    if unshare and _quiet_ok([unshare, "--net", "--map-root-user", "--", "/bin/true"]):
        return _Plan("namespace", "bootstrap", (unshare, "--net", "--map-root-user", "--"))
    return _Plan("bootstrap", "bootstrap")


def _quiet_ok(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def isolation_available() -> Isolation:
    """What a run on this machine would get (without running anything untrusted)."""
    plan = _plan()
    return Isolation(plan.network, plan.processes)


def _limit_setter(limits: Limits, no_processes: bool) -> Callable[[], None]:
    cpu = max(1, int(limits.cpu_s))
    memory = limits.memory_mb * 1024 * 1024
    setrlimit = resource.setrlimit

    def set_limits() -> None:
        # Runs in the child between fork and exec: only pre-bound calls, no imports.
        setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        setrlimit(resource.RLIMIT_AS, (memory, memory))
        setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        setrlimit(resource.RLIMIT_CORE, (0, 0))
        if no_processes:
            setrlimit(resource.RLIMIT_NPROC, (1, 1))

    return set_limits


@dataclass(frozen=True)
class Finished:
    """How a contained command ended (``run_command``): the raw facts, for a language runner to classify."""

    returncode: int | None
    timed_out: bool
    stdout: str
    stderr: str
    truncated: bool
    duration_s: float
    isolation: Isolation
    #: What the command left in ``done_file`` ("" when it wrote nothing there).
    done: str
    #: Why the command could not be started at all (None when it ran).
    start_error: str | None = None


def run_command(
    command: Sequence[str],
    files: Mapping[str, str],
    *,
    limits: Limits | None = None,
    stdin: str = "",
    env: Mapping[str, str] | None = None,
    done_file: str = _DONE_FILE,
) -> Finished:
    """Run ``command`` (an interpreter and its arguments) contained, in a fresh private working directory
    holding ``files`` (plain name → text); never raises because of what the command does.

    The containment is the one described in the module docstring: rlimits, the wall clock, a network
    namespace and a fresh uid where available. ``stdin`` is fed to the command; ``done_file`` is read back
    (a runner reports completion there, with a token it was given on stdin).
    """
    limits = limits or Limits()
    plan = _plan()
    uid = _fresh_uid() if plan.processes == "uid+rlimit" else None
    isolation = Isolation(plan.network, plan.processes, uid)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="guardrail-sandbox-") as tmp:
        work = Path(tmp)
        for name, content in files.items():
            if "/" in name or name in ("", ".", "..", done_file, ".stdout", ".stderr"):
                raise ValueError(
                    f"sandbox file names must be plain names other than the sandbox's own; got {name!r}"
                )
            (work / name).write_text(content, encoding="utf-8")
        if uid is not None:
            for path in [work, *work.iterdir()]:
                os.chown(path, uid, uid)
        argv = [*plan.prefix]
        if uid is not None:
            argv += [
                shutil.which("setpriv") or "setpriv",
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                "--",
            ]
        argv += list(command)
        environment = {"PATH": "/usr/bin:/bin", "HOME": tmp, "LANG": "C.UTF-8", **(env or {})}
        out_path, err_path = work / ".stdout", work / ".stderr"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=work,
                    env=environment,
                    stdin=subprocess.PIPE,
                    stdout=out,
                    stderr=err,
                    preexec_fn=_limit_setter(limits, uid is not None),
                    start_new_session=True,
                )
            except OSError as exc:
                return Finished(
                    None, False, "", "", False, time.perf_counter() - started, isolation, "", str(exc)
                )
            timed_out = _wait(proc, stdin, limits.wall_s)
        duration = time.perf_counter() - started
        stdout, cut_out = _read_capped(out_path, limits.output_chars)
        stderr, cut_err = _read_capped(err_path, limits.output_chars)
        done_path = work / done_file
        done = done_path.read_text(errors="replace")[: limits.output_chars * 4] if done_path.is_file() else ""
    return Finished(proc.returncode, timed_out, stdout, stderr, cut_out or cut_err, duration, isolation, done)


def run_python(
    program: str,
    *,
    limits: Limits | None = None,
    files: Mapping[str, str] | None = None,
    stdin: str = "",
) -> SandboxResult:
    """Run ``program`` (Python source) contained; never raises because of what the program does.

    ``files`` are extra text files (name → content) put beside the program in its working directory;
    names must be plain file names.
    """
    limits = limits or Limits()
    token = secrets.token_hex(16)
    for name in files or {}:
        if name in (_BOOTSTRAP_FILE, _PROGRAM_FILE):
            raise ValueError(
                f"sandbox file names must be plain names other than the sandbox's own; got {name!r}"
            )
    finished = run_command(
        [sys.executable, "-I", "-S", "-B", _BOOTSTRAP_FILE],
        {_BOOTSTRAP_FILE: _BOOTSTRAP, _PROGRAM_FILE: program, **(files or {})},
        limits=limits,
        stdin=token + "\n" + stdin,
        env={"PYTHONHASHSEED": "0"},
    )
    if finished.start_error is not None:
        return SandboxResult(
            "crashed",
            f"could not start the sandbox: {finished.start_error}",
            None,
            "",
            "",
            finished.duration_s,
            finished.isolation,
        )
    status, detail = _classify(
        finished.returncode, finished.timed_out, finished.done == token, finished.stderr, limits
    )
    return SandboxResult(
        status,
        detail,
        finished.returncode,
        finished.stdout,
        finished.stderr,
        finished.duration_s,
        finished.isolation,
        truncated=finished.truncated,
    )


async def arun_python(
    program: str,
    *,
    limits: Limits | None = None,
    files: Mapping[str, str] | None = None,
    stdin: str = "",
) -> SandboxResult:
    """``run_python`` off the event loop."""
    return await asyncio.to_thread(run_python, program, limits=limits, files=files, stdin=stdin)


def _wait(proc: subprocess.Popen[bytes], stdin: str, wall_s: float) -> bool:
    """Feed stdin, wait until the deadline; kill the whole process group on timeout."""
    try:
        proc.communicate(stdin.encode("utf-8"), timeout=wall_s)
        return False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.wait()
        return True
    finally:
        # Whatever happened above, nothing of the child outlives the call.
        _kill_group(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _read_capped(path: Path, limit: int) -> tuple[str, bool]:
    with open(path, "rb") as f:
        data = f.read(limit * 4 + 4)
    text = data.decode("utf-8", errors="replace")
    if len(text) > limit:
        return text[:limit] + "\n[... output truncated]", True
    return text, False


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def _classify(
    code: int | None, timed_out: bool, completed: bool, stderr: str, limits: Limits
) -> tuple[SandboxStatus, str]:
    if timed_out:
        return "timeout", f"killed after the wall-clock limit of {limits.wall_s:g} s"
    if code == 0 and completed:
        return "passed", "ran to the end"
    if code in (-signal.SIGXCPU, -signal.SIGKILL) and "MemoryError" not in stderr:
        return "timeout", f"killed at the CPU-time limit of {limits.cpu_s} s"
    if code == _EXIT_MEMORY or "MemoryError" in _last_line(stderr):
        return "memory", f"exceeded the memory limit of {limits.memory_mb} MB"
    if code == -signal.SIGXFSZ:
        return "crashed", f"wrote more than the file/output limit of {limits.file_bytes:,} bytes"
    if code is not None and code < 0:
        return "crashed", f"killed by signal {signal.Signals(-code).name}"
    if code == _EXIT_EARLY or code == 0:
        return "failed", "the program exited before it ran to its end"
    if code == _EXIT_EXCEPTION:
        return "failed", _last_line(stderr) or "the program raised an exception"
    return "crashed", f"the sandbox exited with status {code}: {_last_line(stderr)}"
