"""The sandbox's first process: pid 1 of fresh mount, network, pid, IPC and UTS namespaces made by
util-linux `unshare` (see `sandbox.py`). Run as a script with `python -I -S`, standard library only.

It reads its job (JSON) on stdin, makes every mount read-only, mounts an empty tmpfs on /tmp (the
only writable place), hides the home folders and the account files, then forks the program: limits
set, then an unprivileged id (as root: groups cleared, uid and gid dropped; in a user namespace an
unprivileged caller made: a nested user namespace where it is that uid with no capability), no new
privileges, exec. It waits for
the program (at most `wall_s` seconds) and reports on fd `--report` how it ended; when pid 1 exits the kernel kills everything
else in the pid namespace. A setup step that fails is reported as `setup_error` and nothing runs.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from typing import Any

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWUSER = 0x10000000
FLAG_OPTIONS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
PROGRAM = "/tmp/program.py"

libc = ctypes.CDLL(None, use_errno=True)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def encode(value: str | None) -> bytes | None:
        return None if value is None else value.encode()

    if libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {source or fstype} on {target}: {os.strerror(error)}")


def unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    for code in ("\\040", "\\011", "\\012", "\\134"):
        field = field.replace(code, chr(int(code[1:], 8)))
    return field


def mount_points() -> list[tuple[str, int]]:
    """Every mount point (outermost first) with the nosuid/nodev/noexec flags it has now."""
    points: dict[str, int] = {}
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            flags = sum(FLAG_OPTIONS.get(option, 0) for option in fields[5].split(","))
            points[unescape(fields[4])] = flags
    return sorted(points.items(), key=lambda item: item[0].count("/"))


def make_read_only() -> None:
    for point, flags in mount_points():
        if point == "/proc" or point.startswith("/proc/"):
            continue  # unshare --mount-proc put a fresh proc there; the old one's submounts are gone
        try:
            mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | flags)
        except OSError:
            if os.path.ismount(point):  # a mount still reachable that stays writable: refuse
                raise


def hide(folders: list[str], keep: list[str]) -> None:
    """Empty read-only tmpfs over each folder; the paths of `keep` under it (the interpreter's
    installation) are bound back, from handles opened before they were covered."""
    handles = {path: os.open(path, os.O_PATH) for path in keep if os.path.exists(path)}
    for folder in folders:
        if not os.path.isdir(folder) or any(folder == other or folder.startswith(other + "/") for other in keep):
            continue
        mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
        for path, handle in handles.items():
            if path.startswith(folder.rstrip("/") + "/"):
                os.makedirs(path, mode=0o755, exist_ok=True)
                mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
                mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
        mount(None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for handle in handles.values():
        os.close(handle)


def blank(files: list[str]) -> None:
    """/dev/null over each file: reading it gives nothing."""
    for path in files:
        if os.path.isfile(path):
            mount("/dev/null", path, None, MS_BIND)
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)


def set_up(job: dict[str, Any]) -> None:
    make_read_only()
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={job['tmp_bytes']},mode=1777")
    hide(job["hide"], job["keep"])
    blank(job["blank"])
    with open(PROGRAM, "w", encoding="utf-8") as handle:
        handle.write(job["program"])
    os.chmod(PROGRAM, 0o444)


def become_program(job: dict[str, Any]) -> None:
    """In the forked child: limits, an unprivileged uid (root ignores RLIMIT_NPROC), exec."""
    limits = job["limits"]
    for name, value in (
        ("RLIMIT_CPU", limits["cpu_s"]),
        ("RLIMIT_AS", limits["memory_bytes"]),
        ("RLIMIT_NPROC", limits["processes"]),
        ("RLIMIT_FSIZE", limits["file_bytes"]),
        ("RLIMIT_NOFILE", 64),
        ("RLIMIT_CORE", 0),
    ):
        # the hard CPU limit a second later turns an ignored SIGXCPU into SIGKILL
        hard = value + 1 if name == "RLIMIT_CPU" else value
        resource.setrlimit(getattr(resource, name), (value, hard))
    uid = job["uid"]
    if job["rootless"]:
        enter_nested_user_namespace(uid)
    else:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    if 0 in os.getresuid() + os.getresgid():
        raise PermissionError(f"the program would run as root (uid {uid})")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.chdir("/tmp")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
    os.execve(job["python"], [job["python"], "-I", "-B", PROGRAM], env)


def enter_nested_user_namespace(uid: int) -> None:
    """Unprivileged way in: pid 1 is root only of the user namespace `unshare --user` made. The program
    moves to a namespace nested in it where it is `uid` (mapped onto that root, so onto the caller's
    own uid outside) and 0 is mapped to nobody: it execs with no capability, and it never had any over
    the namespaces whose mounts it sees (a nested namespace cannot remount them writable)."""
    if libc.unshare(CLONE_NEWUSER) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"unshare(CLONE_NEWUSER): {os.strerror(error)}")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} 0 1"), ("gid_map", f"{uid} 0 1")):
        with open(f"/proc/self/{name}", "w", encoding="ascii") as handle:
            handle.write(text)


def main() -> None:
    report = int(sys.argv[sys.argv.index("--report") + 1])
    job = json.loads(sys.stdin.read())

    def send(message: dict[str, Any]) -> None:
        os.write(report, json.dumps(message).encode() + b"\n")  # the caller reads the first line

    try:
        set_up(job)
    except (OSError, KeyError, TypeError, ValueError) as error:  # no sandbox: nothing runs
        send({"setup_error": f"{type(error).__name__}: {error}"})
        sys.exit(1)
    os.set_inheritable(report, False)  # the program's exec closes it
    child = os.fork()
    if child == 0:
        try:
            become_program(job)
        except (
            OSError,
            KeyError,
            TypeError,
            ValueError,
        ) as error:  # limits, uid or user namespace refused: not a failed example
            send({"setup_error": f"{type(error).__name__}: {error}"})
        finally:
            os._exit(127)

    def expire(signum: int, frame: object) -> None:
        send({"timed_out": True})
        os._exit(0)  # pid 1 gone: the kernel kills the rest of the namespace

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, job["wall_s"])
    while True:  # reap orphans until the program itself ends
        pid, status = os.wait()
        if pid == child:
            break
    if os.WIFSIGNALED(status):
        send({"signal": signal.Signals(os.WTERMSIG(status)).name})
    else:
        send({"exit_code": os.WEXITSTATUS(status)})


if __name__ == "__main__":
    main()
