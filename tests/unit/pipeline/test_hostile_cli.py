"""Hostile files given to the CLI: one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PAPER = ROOT / "fixtures" / "papers" / "2611.00101" / "eprint.tar.gz"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("digits", '{"claim": ' + "9" * 5000 + "}", "not a readable JSON file (Exceeds the limit"),
        ("deep", "[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
        ("nan", '{"claim_id": "c", "reported_value": NaN}', "not a Claim"),
    ],
)
def test_validate_refuses_hostile_json_in_one_line(tmp_path: Path, name: str, content: str, says: str) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(content)
    done = run("validate", "--claim", str(path), "--measurement", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines


def three_thousand_pages() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3000):
        writer.add_blank_page(width=612, height=792)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    "pdf",
    [
        three_thousand_pages(),
        b"garbage, not a PDF at all" * 100,
        b"%PDF-1.4\n1 0 obj << /Type /Pages /Kids [1 0 R] /Count 1 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
        b"%PDF-1.4\n1 0 obj << /Length 999 /Filter /FlateDecode >> stream\n"
        + zlib.compress(b"\0" * 20_000_000)
        + b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
    ],
)
def test_extract_with_a_broken_pdf_still_extracts_from_the_latex(tmp_path: Path, pdf: bytes) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    done = run("extract", str(PAPER), "--pdf", str(path))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stdout.count("\n") > 10 and done.stderr.strip().splitlines()[-1].startswith("outcome=claims")


@pytest.mark.parametrize(
    "content",
    [
        '{"context": "a", "continuation": " b"}\n{broken\n',
        "[1, 2]\n",
        "\xff\xfe",
        '{"context": 5, "continuation": " b"}\n',
    ],
)
def test_eval_loglikelihood_refuses_a_bad_requests_file_in_one_line(tmp_path: Path, content: str) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_bytes(content.encode("latin-1"))
    done = run("eval", "loglikelihood", "--model", str(tmp_path / "no-model"), "--requests", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1].startswith("error: "), done.stderr
