"""Safe unpacking of arXiv e-prints: a gzipped tar of a LaTeX project, a single gzipped `.tex`, or a PDF.

Nothing is written to disk: text files come back as `{path: text}`. Every archive entry is checked
before it is read (no absolute paths, no `..`, no links, no device files), and the unpacked size, the
number of entries and the time spent are bounded, so a decompression bomb ends in `ArchiveTooLarge`
rather than an exhausted machine. The publisher re-checks gate G1 against the stored source with the
same function, so both see exactly the same text.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import time
import zlib
from pathlib import PurePosixPath
from typing import Literal

SourceFormat = Literal["tar", "tex", "pdf", "none"]

# Files whose text the extractor reads (LaTeX sources, bibliographies, style files, small data files).
TEXT_SUFFIXES = frozenset(
    {
        ".tex",
        ".ltx",
        ".latex",
        ".bbl",
        ".sty",
        ".cls",
        ".bib",
        ".txt",
        ".def",
        ".cfg",
        ".clo",
        ".csv",
        ".dat",
        ".tikz",
        ".pgf",
        ".inc",
    }
)
SINGLE_TEX_NAME = "main.tex"  # arXiv serves a lone gzipped .tex without a file name

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(ValueError):
    """The e-print cannot be unpacked; the message says why and what the limit or rule was."""


class UnsafeArchive(ArchiveError):
    """An entry would escape the project (absolute path, `..`, link) or is not a plain file."""


class ArchiveTooLarge(ArchiveError):
    """The e-print unpacks to more bytes or entries than allowed, or takes too long (a bomb)."""


class CorruptArchive(ArchiveError):
    """The bytes claim a format (gzip, tar) but do not decode as one."""


def detect_format(data: bytes | None) -> SourceFormat:
    """What arXiv served: a tar (gzipped or not), a single (gzipped) .tex, a PDF, or nothing usable."""
    if not data:
        return "none"
    if data.startswith(b"%PDF"):
        return "pdf"
    head = data
    if data.startswith(_GZIP_MAGIC):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[:_CHUNK], 1024)
        except zlib.error:
            return "none"
        if head.startswith(b"%PDF"):
            return "pdf"
    if _looks_like_tar(head):
        return "tar"
    if _looks_like_text(head[:1024]):
        return "tex"
    return "none"


def unpack_eprint(
    data: bytes,
    *,
    max_bytes: int = 300_000_000,
    max_files: int = 5_000,
    max_seconds: float = 60.0,
) -> dict[str, str]:
    """Unpack an e-print into `{relative path: text}` for its text files (`TEXT_SUFFIXES`).

    A PDF-only e-print has no text files and gives `{}`. Raises `UnsafeArchive`, `ArchiveTooLarge`
    or `CorruptArchive` with a message that names the entry and the rule it broke.
    """
    deadline = time.monotonic() + max_seconds
    kind = detect_format(data)
    if kind == "pdf":
        return {}
    if kind == "none":
        raise CorruptArchive("the e-print is neither a tar archive, a (gzipped) .tex file nor a PDF")
    if kind == "tex":
        raw = _gunzip(data, max_bytes, deadline) if data.startswith(_GZIP_MAGIC) else data
        if len(raw) > max_bytes:
            raise ArchiveTooLarge(f"the .tex file is {len(raw)} bytes, over the limit of {max_bytes}")
        return {SINGLE_TEX_NAME: decode_text(raw)}
    return _untar(data, max_bytes=max_bytes, max_files=max_files, deadline=deadline, max_seconds=max_seconds)


def decode_text(raw: bytes) -> str:
    """UTF-8 when it is (with or without BOM), else Latin-1, which never fails and keeps byte offsets."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def quote_at(files: dict[str, str], path: str, start: int, end: int, quoted: str) -> bool:
    """True when `quoted` lies inside `files[path][start:end]` (gate G1's test on a stored source)."""
    text = files.get(path)
    if text is None or not quoted or not 0 <= start <= end <= len(text):
        return False
    return quoted in text[start:end]


def check_entry_name(name: str) -> str:
    """The normalised relative path of an archive entry, or `UnsafeArchive` if it could escape."""
    if not name or "\x00" in name:
        raise UnsafeArchive(f"archive entry {name!r} has an empty or NUL-containing name")
    if name.startswith(("/", "\\")) or _WINDOWS_DRIVE.match(name):
        raise UnsafeArchive(f"archive entry {name!r} has an absolute path")
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchive(f"archive entry {name!r} climbs out of the project with '..'")
    return "/".join(parts)


# ---------------------------------------------------------------- internals


def _looks_like_tar(block: bytes) -> bool:
    if len(block) < 512:
        return False
    if block[257:262] == b"ustar":
        return True
    try:  # a v7 tar has no magic: trust the header checksum
        stored = int(block[148:156].replace(b"\x00", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    computed = sum(block[:148]) + 8 * 32 + sum(block[156:512])
    return stored == computed


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multi-byte character cut at the end is fine
            try:
                head.decode("latin-1")
            except UnicodeDecodeError:
                return False
    printable = sum(1 for b in head if b >= 32 or b in (9, 10, 12, 13))
    return printable / len(head) > 0.95


def _gunzip(data: bytes, max_bytes: int, deadline: float) -> bytes:
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > max_bytes:
                    raise ArchiveTooLarge(
                        f"the gzipped .tex unpacks to more than {max_bytes} bytes (a decompression bomb?)"
                    )
                _check_time(deadline)
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptArchive(f"the gzip stream is corrupt: {exc}") from exc
    return bytes(out)


def _check_time(deadline: float, max_seconds: float | None = None) -> None:
    if time.monotonic() > deadline:
        limit = f" of {max_seconds:g} s" if max_seconds is not None else ""
        raise ArchiveTooLarge(f"unpacking the e-print exceeded the time limit{limit}")


def _untar(data: bytes, *, max_bytes: int, max_files: int, deadline: float, max_seconds: float) -> dict[str, str]:
    files: dict[str, str] = {}
    total = 0
    count = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|*") as archive:
            for member in archive:
                _check_time(deadline, max_seconds)
                count += 1
                if count > max_files:
                    raise ArchiveTooLarge(f"the archive has more than {max_files} entries")
                path = check_entry_name(member.name)
                if member.issym() or member.islnk():
                    raise UnsafeArchive(f"archive entry {member.name!r} is a link (to {member.linkname!r})")
                if member.isdev():
                    raise UnsafeArchive(f"archive entry {member.name!r} is a device file or FIFO")
                if member.isdir():
                    continue
                if not member.isreg():
                    raise UnsafeArchive(f"archive entry {member.name!r} is not a regular file")
                total += member.size
                if total > max_bytes:
                    raise ArchiveTooLarge(
                        f"the archive unpacks to more than {max_bytes} bytes (at {member.name!r}; "
                        "a decompression bomb?)"
                    )
                if PurePosixPath(path).suffix.lower() not in TEXT_SUFFIXES or not path:
                    continue
                stream = archive.extractfile(member)
                if stream is None:
                    continue
                raw = bytearray()
                while chunk := stream.read(_CHUNK):
                    raw += chunk
                    _check_time(deadline, max_seconds)
                files[path] = decode_text(bytes(raw))
    except ArchiveError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise CorruptArchive(f"the tar archive is corrupt: {exc}") from exc
    return files
