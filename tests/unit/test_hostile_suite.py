"""The hostile-input suite as a user meets it: each input through the CLI in a fresh work folder, with a
clear one-line outcome, a time bound (30 s), a memory bound (1.5 GB for the parser process and for the
CLI) and nothing written outside the work folder. Prints the table of inputs, seconds and peak memory.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = (
    r"\begin{table}\caption{Results}\begin{tabular}{lcc}\toprule Model & MMLU & ARC-c \\ \midrule "
    r"Llama-2-7B & 45.3 & 43.2 \\ \bottomrule\end{tabular}\end{table}"
    "\n"
)
LIMIT_S, LIMIT_MIB = 30.0, 1536
ROWS: list[tuple[str, float, int | None, str]] = []


def tex(body: str) -> bytes:
    return gzip.compress(("\\documentclass{article}\\begin{document}\n" + body + "\n\\end{document}\n").encode())


def tar(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return buf.getvalue()


def fan_out() -> bytes:
    files = {f"f{i}.tex": "".join(f"\\input{{f{i + 1}}}\n" for _ in range(10)).encode() for i in range(7)}
    files["f7.tex"] = b"x\n"
    files["main.tex"] = b"\\documentclass{article}\\begin{document}\\input{f0}" + TABLE.encode() + b"\\end{document}\n"
    return tar(files)


EPRINTS = {
    "unclosed \\begin{comment} x5000": (tex(TABLE + r"\begin{comment} " * 5000), "outcome=claims claims=2"),
    "unclosed \\iffalse x8000": (tex(TABLE + r"\iffalse " * 8000), "outcome=claims claims=2"),
    "unclosed \\def\\q{ x8000": (tex(TABLE + r"\def\q{ " * 8000), "outcome=claims claims=2"),
    "unclosed \\newcommand\\q[ x8000": (tex(TABLE + r"\newcommand\q[ " * 8000), "outcome=claims claims=2"),
    "unclosed \\begin{table} x8000": (tex(TABLE + r"\begin{table} " * 8000), "outcome=claims claims=2"),
    "unclosed \\caption[ x5000": (tex(TABLE + r"\begin{table}\caption[ " * 5000), "outcome=claims claims=2"),
    "10^5 \\\\[ row ends": (
        tex(r"\begin{table}\caption{x}\begin{tabular}{cc}" + "\\\\[" * 100_000 + r"\end{tabular}\end{table}"),
        "outcome=no_tables",
    ),
    "macro repeating #1, 60 KB": (
        tex(r"\newcommand\q[1]{#1#1#1#1#1#1#1#1}" + r"\q{\q{\q{\q{\q{\q{x}}}}}}" * 2000 + TABLE),
        "outcome=claims claims=2",
    ),
    "\\input fan-out 10^7 visits": (fan_out(), "outcome=failed claims=0: limit: \\input visits over"),
    "gzip of 280 MB .tex (272 KB)": (
        (ROOT / "fixtures/papers/2611.00199/eprint.tex.gz").read_bytes(),
        "outcome=failed claims=0: limit: latex expansion over 20 MB",
    ),
    "table of 10^5 cells": (
        tex(
            r"\begin{table}\caption{Results}\begin{tabular}{l"
            + "c" * 50
            + "}Model & "
            + " & ".join(f"MMLU {k}" for k in range(50))
            + r"\\ \midrule "
            + "".join(f"Llama-2-7B-v{r} & " + " & ".join("45.3" for _ in range(50)) + r" \\ " for r in range(2000))
            + r"\end{tabular}\end{table}"
        ),
        "outcome=failed claims=0: limit:",
    ),
    "tar with a link to /etc/passwd": (
        tar({"main.tex": tex(TABLE)[:0] + b"x"}, {"evil.tex": "/etc/passwd"}),
        "outcome=failed claims=0: unpacking the e-print failed",
    ),
    "tar path ../../escape.tex": (
        tar({"../../escape.tex": b"\\documentclass{article}"}),
        "outcome=failed claims=0: unpacking the e-print failed",
    ),
    "garbage bytes": (os.urandom(200_000), "outcome=failed claims=0:"),
}


def run(work: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "TMPDIR": str(work / "tmp"), "HOME": str(work / "home")}
    (work / "tmp").mkdir(exist_ok=True)
    (work / "home").mkdir(exist_ok=True)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CLI_WITH_PEAK, *args],
        capture_output=True,
        text=True,
        timeout=LIMIT_S + 30,
        cwd=work,
        env={**env, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    return done, time.monotonic() - started


# The CLI as `paperverdict` runs it, reporting its own peak resident memory on its last stderr line
# (the parser process reports its own in the outcome line). VmHWM, not ru_maxrss: Linux carries a forking
# parent's ru_maxrss over to the child, so a big pytest process would be counted as the CLI's.
CLI_WITH_PEAK = """
import atexit, re, runpy, sys
def peak():
    status = open("/proc/self/status").read()
    sys.stderr.write("\\ncli_peak_kib=" + re.search(r"VmHWM:\\s*(\\d+)", status).group(1) + "\\n")
atexit.register(peak)
sys.argv = ["paperverdict", *sys.argv[1:]]
runpy.run_module("services.cli.main", run_name="__main__")
"""


def repo_state() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module", autouse=True)
def table(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    yield
    lines = [f"{'input':<36} {'seconds':>7} {'parser MiB':>10}  outcome"]
    lines += [
        f"{name:<36} {seconds:>7.1f} {peak if peak is not None else '-':>10}  {outcome[:70]}"
        for name, seconds, peak, outcome in ROWS
    ]
    capman = request.config.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled():
        print("\nhostile-input suite:\n" + "\n".join(lines))


@pytest.mark.parametrize("name", list(EPRINTS))
def test_hostile_eprint_ends_in_a_clear_outcome_within_bounds(tmp_path: Path, name: str) -> None:
    data, expected = EPRINTS[name]
    (tmp_path / "eprint.bin").write_bytes(data)
    before = repo_state()
    done, seconds = run(tmp_path, "extract", str(tmp_path / "eprint.bin"), "--arxiv-id", "2401.00001")
    lines = done.stderr.strip().splitlines()
    cli_mib = (
        int(lines.pop().removeprefix("cli_peak_kib=")) // 1024 if lines and lines[-1].startswith("cli_peak") else 0
    )
    lines = [line for line in lines if line.strip()]
    outcome = lines[-1] if lines else ""
    peak = int(outcome.rsplit("[parser peak ", 1)[1].split()[0]) if "[parser peak " in outcome else None
    ROWS.append((name, seconds, peak, outcome))
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert outcome.startswith(expected), outcome
    assert seconds <= LIMIT_S and (peak is None or peak <= LIMIT_MIB), (seconds, peak)
    assert 0 < cli_mib <= LIMIT_MIB, cli_mib
    assert repo_state() == before  # nothing written outside the work folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eprint.bin", "home", "tmp"]


SNAPSHOT = next((ROOT / "fixtures" / "hub" / "models--paperverdict-fixtures--tiny-llama" / "snapshots").iterdir())


def _model(work: Path, damage: str) -> Path:
    folder = work / "model"
    folder.mkdir()
    for path in SNAPSHOT.iterdir():
        (folder / path.name).write_bytes(path.resolve().read_bytes())
    config = folder / "config.json"
    if damage == "auto_map":
        text = config.read_text().replace('"model_type": "llama"', '"model_type": "evil_arch"')
        config.write_text(text.replace("{", '{"auto_map": {"AutoModelForCausalLM": "evil.M"}, ', 1))
    elif damage == "nested":
        config.write_text("[" * 300_000 + "]" * 300_000)
    elif damage == "huge":
        with open(config, "r+b") as handle:
            handle.truncate(3 * 2**30)  # sparse
    elif damage == "pickle":
        (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    return folder


def _data(work: Path, content: bytes) -> Path:
    folder = work / "data" / "arc_easy"
    folder.mkdir(parents=True)
    (folder / "REVISION").write_text("hostile\n")
    (folder / "test.jsonl").write_bytes(content)
    return work / "data"


# (model damage, data file or None, what the CLI must say)
EVAL_INPUTS = {
    "model config with auto_map": ("auto_map", None, "names remote code (auto_map) for model type 'evil_arch'"),
    "model config nested 3x10^5 deep": ("nested", None, "cannot be read: RecursionError"),
    "model config of 3 GiB (sparse)": ("huge", None, "config.json is 3221.2 MB, above the 1 MB limit"),
    "pickle-only model folder": ("pickle", None, "has no safetensors weights"),
    "task data, invalid UTF-8": ("", b'{"question": "\xff\xfe"}\n', "UnicodeDecodeError"),
    "task data, 60 MB of empty lists": (
        "",
        (b'{"a": [' + b"[]," * 20_000 + b"[]]}\n") * 1_000,
        "limit: memory over 1024 MiB during reading test.jsonl",
    ),
}


@pytest.mark.parametrize("name", list(EVAL_INPUTS))
def test_hostile_model_or_data_ends_in_a_clear_reason_within_bounds(tmp_path: Path, name: str) -> None:
    damage, content, expected = EVAL_INPUTS[name]
    model = _model(tmp_path, damage) if damage else SNAPSHOT
    data = _data(tmp_path, content) if content is not None else ROOT / "fixtures" / "data"
    before = repo_state()
    done, seconds = run(
        tmp_path, "eval", "task", "--model", str(model), "--task", "arc_easy", "--data", str(data), "--limit", "4"
    )
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    cli_mib = (
        int(lines.pop().removeprefix("cli_peak_kib=")) // 1024 if lines and lines[-1].startswith("cli_peak") else 0
    )
    said = done.stdout + "\n".join(lines)
    reason = next((line.strip() for line in said.splitlines() if expected in line), said[-300:])
    reason = re.sub(r"^\"failure\": \"model '[^']*' (was refused: )?", "", reason)
    ROWS.append((name, seconds, None, f"cli {cli_mib} MiB: {reason}"))
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert expected in said and done.returncode != 0, said[-2000:]
    assert seconds <= LIMIT_S and 0 < cli_mib <= LIMIT_MIB, (seconds, cli_mib)
    assert repo_state() == before
