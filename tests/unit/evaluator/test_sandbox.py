"""The code sandbox (`services/evaluator/sandbox.py`) against hostile programs: each must end as a
failed example and leave the machine as it was. Every hostile program is written so that it would
*pass* (exit 0 after its last line) if the sandbox let it do what it tries. Every test runs both ways
in: as root, and started by an unprivileged uid (the service's container runs as uid 10001)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.evaluator import sandbox
from services.evaluator.sandbox import Limits, SandboxUnavailable, run_python

if os.geteuid() != 0 or shutil.which("unshare") is None:
    pytest.skip("these tests start sandboxes as root and as another uid: root, util-linux", allow_module_level=True)

UNPRIVILEGED = 10001  # the container's `app` user
Run = Callable[..., sandbox.Outcome]
FAST = Limits(cpu_s=2, wall_s=4.0, memory_bytes=512 << 20, processes=16, file_bytes=1 << 20, tmp_bytes=8 << 20)


@pytest.fixture
def host_dir() -> Iterator[Path]:
    """A world-writable folder outside /tmp (the sandbox's /tmp is its own tmpfs)."""
    folder = Path(__import__("tempfile").mkdtemp(prefix="pv-sandbox-test-", dir="/var/tmp"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder)


def readable_by_others(path: str) -> bool:
    """Whether a uid that is neither owner nor group may run `path` (every folder above searchable)."""
    real = Path(os.path.realpath(path))
    return all(folder.stat().st_mode & 0o001 for folder in real.parents) and bool(real.stat().st_mode & 0o005)


@pytest.fixture(params=["root", "unprivileged"])
def run(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Run:
    """`run_python` as this root process calls it, or started as uid 10001 (user namespaces). The
    unprivileged one needs an interpreter that uid may run: this venv's when it can, else the system's."""
    if request.param == "root":
        return run_python
    interpreter = next(
        (path for path in (sandbox._interpreter(), "/usr/bin/python3") if readable_by_others(path)), None
    )
    assert interpreter is not None, "no Python here that an unprivileged uid may run"
    monkeypatch.setattr(sandbox, "_interpreter", lambda: os.path.realpath(interpreter))
    return lambda source, limits=None: run_python(source, limits, as_user=UNPRIVILEGED)


# put first in a program: it writes its pid namespace ("pid:[4026532771]") to stderr
NAMESPACE = "import os, sys\nprint(os.readlink('/proc/self/ns/pid'), file=sys.stderr, flush=True)\n"


def sandbox_processes(outcome: sandbox.Outcome) -> list[int]:
    """Processes on this machine still running a sandboxed program in the pid namespace of the run that
    gave `outcome` (its program began with NAMESPACE). Other sandboxes alive meanwhile, such as the
    start-up probe of an evaluator another test runs, are not this run's leftovers."""
    found = re.search(r"pid:\[\d+\]", outcome.stderr_tail)
    assert found is not None, f"the program did not say its pid namespace: {outcome.stderr_tail[-300:]!r}"
    leftovers = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and b"/tmp/program.py" in (entry / "cmdline").read_bytes()
                and os.readlink(entry / "ns" / "pid") == found.group(0)
            ):
                leftovers.append(int(entry.name))
        except OSError:
            continue
    return leftovers


def test_a_correct_program_passes_and_a_failing_one_fails(run: Run) -> None:
    assert run("assert sum([1, 2]) == 3\nprint('hi')", FAST).passed
    outcome = run("assert sum([1, 2]) == 4", FAST)
    assert not outcome.passed and outcome.reason == "exit code 1" and "AssertionError" in outcome.stderr_tail


def test_exiting_early_with_status_0_fails(run: Run) -> None:
    outcome = run("import os\nos._exit(0)\nassert False", FAST)
    assert not outcome.passed and outcome.reason == "exited before its last line"


def test_the_program_runs_unprivileged_without_the_host_environment(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PV_SANDBOX_SECRET", "s3cret")
    program = (
        "import os\nstatus = dict(line.split(':\\t') for line in open('/proc/self/status').read().splitlines())\n"
        "print(os.getuid(), os.getgid(), os.environ.get('PV_SANDBOX_SECRET'), status['CapEff'], status['CapPrm'])"
    )
    outcome = run(program, FAST)
    no_capability = "0" * 16
    assert outcome.passed, outcome
    assert outcome.stdout_tail.split() == [str(FAST.uid), str(FAST.uid), "None", no_capability, no_capability]


def test_a_fork_bomb_fails_and_leaves_no_process(run: Run) -> None:
    bomb = NAMESPACE + "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    started = time.monotonic()
    outcome = run(bomb, FAST)
    assert not outcome.passed
    assert time.monotonic() - started < FAST.wall_s + 5
    time.sleep(0.2)
    assert sandbox_processes(outcome) == []


def test_the_process_limit_holds(run: Run) -> None:
    """RLIMIT_NPROC binds because the program is not root (root ignores it; unprivileged, it counts the
    program's uid in its own user namespace): it can start at most `processes` - 1 more."""
    program = NAMESPACE + (
        "import os, time\ncount = 0\n"
        "for _ in range(100):\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        time.sleep(30)\n        os._exit(0)\n"
        "    count += 1\n"
        "print(count)\nassert count >= 100, count\n"
    )
    outcome = run(program, FAST)
    assert not outcome.passed and 0 < int(outcome.stdout_tail.split()[0]) < FAST.processes
    time.sleep(0.2)
    assert sandbox_processes(outcome) == []


def test_an_endless_loop_hits_the_cpu_limit(run: Run) -> None:
    outcome = run("while True:\n    pass", Limits(cpu_s=1, wall_s=10.0))
    assert not outcome.passed and outcome.reason == "CPU time limit"


def test_a_sleeping_program_hits_the_wall_clock_and_leaves_no_process(run: Run) -> None:
    started = time.monotonic()
    outcome = run(NAMESPACE + "import time\ntime.sleep(600)", Limits(cpu_s=5, wall_s=1.0))
    assert not outcome.passed and outcome.reason == "timed out after 1 s"
    assert time.monotonic() - started < 1.0 + sandbox.SETUP_TIMEOUT_S + 2
    time.sleep(0.2)
    assert sandbox_processes(outcome) == []


def test_no_network_not_even_the_hosts_loopback(run: Run) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]
        outcome = run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)", FAST)
        assert not outcome.passed and "Network is unreachable" in outcome.stderr_tail  # its loopback is down
        with pytest.raises(TimeoutError):
            server.accept()
    outcome = run("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)", FAST)
    assert not outcome.passed and "Network is unreachable" in outcome.stderr_tail


def test_account_files_read_empty(run: Run) -> None:
    real = Path("/etc/passwd").read_text()
    assert "root:" in real
    outcome = run("print(open('/etc/passwd').read())\nassert 'root:' in open('/etc/passwd').read()", FAST)
    assert not outcome.passed and outcome.stdout_tail.strip() == ""
    assert real.splitlines()[0] not in outcome.stdout_tail


def test_the_home_folder_and_its_ssh_keys_are_hidden(run: Run, monkeypatch: pytest.MonkeyPatch, host_dir: Path) -> None:
    home = host_dir / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY")
    (host_dir / "visible.txt").write_text("not secret")
    os.chmod(home, 0o755)
    os.chmod(home / ".ssh", 0o755)
    os.chmod(home / ".ssh" / "id_ed25519", 0o644)  # readable by anyone: only the sandbox hides it
    monkeypatch.setenv("HOME", str(home))
    control = run(f"assert open('{host_dir}/visible.txt').read() == 'not secret'", FAST)
    assert control.passed  # the rest of the machine is visible (read-only)
    for path in (home / ".ssh" / "id_ed25519", Path("/root/.ssh/id_rsa")):
        outcome = run(f"print(open('{path}').read())", FAST)
        assert (
            not outcome.passed and "FileNotFoundError" in outcome.stderr_tail and "PRIVATE" not in outcome.stdout_tail
        )
    listing = run(f"import os\nprint(os.listdir('{home}'), os.listdir('/root'), os.listdir('/home'))", FAST)
    assert listing.passed and ".ssh" not in listing.stdout_tail


def test_writes_outside_the_temporary_folder_fail_and_leave_no_file(run: Run, host_dir: Path) -> None:
    name = f"pv-sandbox-{os.getpid()}"
    for folder in (host_dir, Path("/var/tmp"), Path("/dev/shm"), Path.cwd()):
        outcome = run(f"open('{folder / name}', 'w').write('x')", FAST)
        assert not outcome.passed and "Read-only file system" in outcome.stderr_tail
        assert not (folder / name).exists()
    inside = run(f"open('/tmp/{name}', 'w').write('x')\nassert open('/tmp/{name}').read() == 'x'", FAST)
    assert inside.passed and not (Path("/tmp") / name).exists()  # the sandbox's /tmp is its own


def test_a_10_gb_allocation_fails(run: Run) -> None:
    outcome = run("block = bytearray(10 * 1024**3)\nblock[-1] = 1", FAST)
    assert not outcome.passed and "MemoryError" in outcome.stderr_tail


def test_a_huge_file_hits_the_file_size_limit(run: Run) -> None:
    outcome = run("open('/tmp/big', 'wb').write(b'x' * (4 << 20))", FAST)
    # Python ignores SIGXFSZ, so the write fails with EFBIG instead of the signal killing it
    assert not outcome.passed and "File too large" in outcome.stderr_tail


def test_without_unshare_nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SandboxUnavailable, match="unshare"):
        run_python("print(1)", FAST)
    sandbox.unavailable_reason.cache_clear()
    try:
        assert sandbox.unavailable_reason() == "util-linux `unshare` is not installed"
    finally:
        sandbox.unavailable_reason.cache_clear()


def test_a_setup_failure_is_unavailability_not_a_failed_example(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "_interpreter", lambda: "/nonexistent/python")
    with pytest.raises(SandboxUnavailable, match="could not be set up"):
        run("print(1)", FAST)


def test_a_program_that_would_run_as_root_never_starts(run: Run) -> None:
    """uid 0 in `Limits` (a misconfigured PV_SANDBOX_UID): the program's own setup refuses, which is
    unavailability, not a failed example, both ways in (in a user namespace, 0 would hold capabilities)."""
    with pytest.raises(SandboxUnavailable, match="would run as root"):
        run("print(1)", Limits(uid=0, cpu_s=2, wall_s=4.0))


def test_an_unprivileged_start_that_is_refused_says_what_it_needs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """uid 10001 may not run an interpreter in a folder only root can enter: `unshare` fails as it would
    where user namespaces are refused, and the reason names what the unprivileged way in needs."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / "python3").symlink_to(os.path.realpath(sys.executable))
    monkeypatch.setattr(sandbox, "_interpreter", lambda: str(private / "python3"))
    with pytest.raises(SandboxUnavailable, match="could not be set up: .*needs user namespaces"):
        run_python("print(1)", FAST, as_user=UNPRIVILEGED)


def test_the_sandbox_is_available_here() -> None:
    sandbox.unavailable_reason.cache_clear()
    assert sandbox.unavailable_reason() is None


def test_default_limits_are_the_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings import SandboxSettings

    for name in list(os.environ):
        if name.startswith("PV_SANDBOX_"):
            monkeypatch.delenv(name)
    assert Limits.from_settings(SandboxSettings()) == Limits()
    monkeypatch.setenv("PV_SANDBOX_MEMORY_MB", "256")
    assert Limits.from_settings(SandboxSettings()).memory_bytes == 256 << 20


async def test_the_evaluator_says_at_start_whether_code_claims_can_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from structlog.testing import capture_logs

    from services.evaluator.app import report_code_sandbox
    from shared.metrics import Metrics

    metrics = Metrics("evaluator")
    sandbox.unavailable_reason.cache_clear()
    with capture_logs() as logs:
        await report_code_sandbox(metrics)
    assert metrics.code_sandbox._value.get() == 1 and logs[-1]["available"] is True
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "the sandbox could not be set up: EPERM")
    with capture_logs() as logs:
        await report_code_sandbox(metrics)
    assert metrics.code_sandbox._value.get() == 0
    assert (logs[-1]["event"], logs[-1]["reason"]) == ("code_sandbox", "the sandbox could not be set up: EPERM")
    assert b"paperverdict_code_sandbox_available 0.0" in metrics.render()


ESCAPE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNS, MS_REMOUNT, MS_BIND = 0x10000000, 0x00020000, 32, 4096
uid = os.getuid()
if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0:  # root of a namespace of its own, with its own mounts
    open("/proc/self/setgroups", "w").write("deny")
    open("/proc/self/uid_map", "w").write(f"0 {uid} 1")
    for point in ("/", "{folder}", "/var/tmp"):
        libc.mount(None, point.encode(), None, MS_REMOUNT | MS_BIND, None)  # try to make them writable
        libc.mount(None, point.encode(), None, MS_REMOUNT, None)
open("{folder}/{name}", "w").write("escaped")
"""


def test_a_namespace_of_its_own_does_not_make_the_host_writable(run: Run, host_dir: Path) -> None:
    """The program may make a user and mount namespace of its own (root there) and remount what it sees:
    the read-only mounts it inherited are locked, so the write still fails and nothing is left."""
    name = f"pv-sandbox-escape-{os.getpid()}"
    outcome = run(ESCAPE.replace("{folder}", str(host_dir)).replace("{name}", name), FAST)
    assert not outcome.passed and "Read-only file system" in outcome.stderr_tail, outcome
    assert not (host_dir / name).exists()
