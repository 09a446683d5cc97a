"""The code sandbox: bad code is a result, never an exception, and the limits hold."""

from __future__ import annotations

import asyncio
import os

import pytest

from guardrail.sandbox import Limits, arun_python, isolation_available, run_python

FAST = Limits(wall_s=3.0, cpu_s=1, memory_mb=256)
KERNEL_ENFORCED = isolation_available().processes == "uid+rlimit"
NETWORK_NAMESPACE = isolation_available().network == "namespace"


def test_passing_program_passes_with_its_output() -> None:
    result = run_python("def f(x):\n    return x + 1\nassert f(1) == 2\nprint('ok', f(41))", limits=FAST)
    assert result.status == "passed"
    assert result.stdout.strip() == "ok 42"
    assert result.passed


def test_failing_assert_is_failed_with_the_exception_named() -> None:
    result = run_python("assert 1 + 1 == 3, 'arithmetic is broken'", limits=FAST)
    assert result.status == "failed"
    assert "AssertionError: arithmetic is broken" in result.detail


def test_syntax_error_is_a_failure_not_an_exception() -> None:
    result = run_python("def broken(:\n    pass", limits=FAST)
    assert result.status == "failed"
    assert "SyntaxError" in result.detail


def test_busy_loop_hits_the_cpu_limit() -> None:
    # A generous wall clock, so that on a loaded machine the CPU limit (1 s of CPU) still fires first.
    result = run_python("while True:\n    pass", limits=Limits(wall_s=60.0, cpu_s=1))
    assert result.status == "timeout"
    assert "CPU" in result.detail


def test_sleeping_program_hits_the_wall_clock_limit() -> None:
    result = run_python("import time\ntime.sleep(60)", limits=Limits(wall_s=1.0, cpu_s=5))
    assert result.status == "timeout"
    assert "wall-clock" in result.detail


def test_memory_hog_hits_the_memory_limit() -> None:
    result = run_python("blob = bytearray(1024 * 1024 * 1024)", limits=FAST)
    assert result.status == "memory"


def test_exiting_early_with_status_zero_is_not_a_pass() -> None:
    early_exit = run_python("import sys\nsys.exit(0)\nassert False", limits=FAST)
    hard_exit = run_python("import os\nos._exit(0)\nassert False", limits=FAST)
    assert early_exit.status == "failed"
    assert hard_exit.status == "failed"


def test_fork_through_os_is_refused() -> None:
    result = run_python("import os\npid = os.fork()\nprint('forked', pid)", limits=FAST)
    assert result.status == "failed"
    assert "forked" not in result.stdout


def test_subprocess_is_refused() -> None:
    result = run_python("import subprocess\nsubprocess.run(['true'])", limits=FAST)
    assert result.status == "failed"


@pytest.mark.skipif(not KERNEL_ENFORCED, reason="the kernel-enforced process limit needs root")
def test_fork_through_libc_is_refused_by_the_kernel() -> None:
    # Bypasses the bootstrap entirely: only the uid + RLIMIT_NPROC containment can stop this.
    program = (
        "import ctypes\nlibc = ctypes.CDLL(None)\npid = libc.fork()\n"
        "if pid == 0:\n    libc._exit(0)\nassert pid < 0, pid"
    )
    result = run_python(program, limits=FAST)
    assert result.status == "passed", result.stderr


@pytest.mark.skipif(not KERNEL_ENFORCED, reason="the kernel-enforced process limit needs root")
def test_threads_are_refused_by_the_kernel() -> None:
    result = run_python("import threading\nthreading.Thread(target=print).start()", limits=FAST)
    assert result.status == "failed"
    assert "thread" in result.detail


def test_socket_connect_is_refused() -> None:
    result = run_python("import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)", limits=FAST)
    assert result.status == "failed"


@pytest.mark.skipif(not NETWORK_NAMESPACE, reason="needs a network namespace (unshare --net)")
def test_raw_socket_has_no_network_in_the_namespace() -> None:
    # _socket bypasses the bootstrap's replacement of socket.socket; the empty namespace still stops it.
    program = (
        "import _socket\ns = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\ns.settimeout(1)\n"
        "try:\n    s.connect(('1.1.1.1', 80))\nexcept OSError as e:\n    print('refused', e.errno)\n"
        "else:\n    raise SystemExit('connected')"
    )
    result = run_python(program, limits=FAST)
    assert result.status == "passed", result.stderr
    assert result.stdout.startswith("refused")


def test_output_is_capped() -> None:
    result = run_python("print('x' * 200_000)", limits=Limits(wall_s=3, cpu_s=1, output_chars=1000))
    assert len(result.stdout) < 1100
    assert result.truncated


def test_each_run_has_its_own_temporary_directory() -> None:
    first = run_python("import os\nopen('left.txt', 'w').write('x')\nprint(os.getcwd())", limits=FAST)
    second = run_python("import os\nprint(os.path.exists('left.txt'), os.getcwd())", limits=FAST)
    assert first.status == second.status == "passed"
    assert second.stdout.split()[0] == "False"
    assert first.stdout.strip() != os.getcwd()
    assert not os.path.exists(first.stdout.strip())


def test_extra_files_sit_beside_the_program() -> None:
    result = run_python(
        "import helper\nassert helper.VALUE == 7", files={"helper.py": "VALUE = 7\n"}, limits=FAST
    )
    assert result.status == "passed", result.stderr


def test_file_names_may_not_escape_the_directory() -> None:
    with pytest.raises(ValueError, match="plain names"):
        run_python("pass", files={"../evil.py": ""})


async def test_concurrent_runs_do_not_disturb_each_other() -> None:
    results = await asyncio.gather(
        *(arun_python(f"assert {i} * 2 == {2 * i}", limits=FAST) for i in range(4))
    )
    assert [r.status for r in results] == ["passed"] * 4
    if KERNEL_ENFORCED:
        assert len({r.isolation.uid for r in results}) == 4


def test_isolation_is_reported() -> None:
    result = run_python("pass", limits=FAST)
    assert result.isolation.network in ("namespace", "bootstrap")
    assert result.isolation.describe().startswith("network:")
