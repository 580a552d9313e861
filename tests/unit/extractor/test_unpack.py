"""Safe e-print unpacking: formats, limits, and archives that try to escape or explode."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from shared.unpack import (
    ArchiveTooLarge,
    CorruptArchive,
    UnsafeArchive,
    check_entry_name,
    detect_format,
    quote_at,
    unpack_eprint,
)


def make_tar(entries: list[tuple[tarfile.TarInfo, bytes | None]], compress: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if compress else "w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def regular(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


TEX = b"\\documentclass{article}\\begin{document}x\\end{document}"


def test_detect_format_tells_the_four_kinds_apart() -> None:
    assert detect_format(make_tar([regular("main.tex", TEX)])) == "tar"
    assert detect_format(make_tar([regular("main.tex", TEX)], compress=False)) == "tar"
    assert detect_format(gzip.compress(TEX)) == "tex"
    assert detect_format(TEX) == "tex"
    assert detect_format(b"%PDF-1.5\n...") == "pdf"
    assert detect_format(b"") == "none"
    assert detect_format(None) == "none"
    assert detect_format(bytes(range(256)) * 4) == "none"


def test_tar_gz_unpacks_text_files_only_with_normalised_paths() -> None:
    data = make_tar(
        [
            regular("./main.tex", TEX),
            regular("tables/t1.tex", b"\\begin{tabular}{l}x\\end{tabular}"),
            regular("fig.png", b"\x89PNG\r\n"),
            regular("refs.bbl", "Müller".encode()),
        ]
    )
    files = unpack_eprint(data)
    assert sorted(files) == ["main.tex", "refs.bbl", "tables/t1.tex"]
    assert files["refs.bbl"] == "Müller"


def test_single_gzipped_tex_is_main_tex_and_latin1_is_decoded() -> None:
    assert unpack_eprint(gzip.compress(TEX)) == {"main.tex": TEX.decode()}
    latin1 = gzip.compress("caf\xe9".encode("latin-1") + b" \\documentclass")
    assert unpack_eprint(latin1)["main.tex"].startswith("café")


def test_pdf_only_eprint_has_no_text_files() -> None:
    assert unpack_eprint(b"%PDF-1.5\n%...") == {}


@pytest.mark.parametrize("name", ["/etc/passwd", "\\windows\\x.tex", "C:/x.tex"])
def test_absolute_paths_are_refused(name: str) -> None:
    with pytest.raises(UnsafeArchive, match="absolute path"):
        unpack_eprint(make_tar([regular(name, TEX)]))


@pytest.mark.parametrize("name", ["../evil.tex", "a/../../evil.tex", "a/b/../../../x.tex"])
def test_parent_directory_entries_are_refused(name: str) -> None:
    with pytest.raises(UnsafeArchive, match=r"\.\."):
        unpack_eprint(make_tar([regular(name, TEX)]))


def test_symlinks_and_hardlinks_are_refused() -> None:
    with pytest.raises(UnsafeArchive, match="is a link"):
        unpack_eprint(make_tar([regular("main.tex", TEX), special("x.tex", tarfile.SYMTYPE, "/etc/passwd")]))
    with pytest.raises(UnsafeArchive, match="is a link"):
        unpack_eprint(make_tar([regular("main.tex", TEX), special("y.tex", tarfile.LNKTYPE, "main.tex")]))


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_device_files_and_fifos_are_refused(kind: bytes) -> None:
    with pytest.raises(UnsafeArchive, match="device file or FIFO"):
        unpack_eprint(make_tar([special("dev.tex", kind)]))


def test_gzip_bomb_single_file_stops_at_the_byte_limit() -> None:
    bomb = gzip.compress(b"\\documentclass{article}" + b" " * 10_000_000, compresslevel=9)
    assert len(bomb) < 50_000  # 10 MB in under 50 kB
    with pytest.raises(ArchiveTooLarge, match="decompression bomb"):
        unpack_eprint(bomb, max_bytes=1_000_000)


def test_tar_bomb_is_refused_from_its_declared_size_before_reading() -> None:
    big = b"%" * 20_000_000
    data = make_tar([regular("main.tex", TEX), regular("big.tex", big)])
    with pytest.raises(ArchiveTooLarge, match="more than 1000000 bytes"):
        unpack_eprint(data, max_bytes=1_000_000)


def test_too_many_entries_is_refused() -> None:
    data = make_tar([regular(f"f{i}.tex", b"x") for i in range(30)])
    with pytest.raises(ArchiveTooLarge, match="more than 10 entries"):
        unpack_eprint(data, max_files=10)
    assert len(unpack_eprint(data, max_files=30)) == 30


def test_time_limit_is_enforced() -> None:
    data = make_tar([regular(f"f{i}.tex", b"x" * 1000) for i in range(50)])
    with pytest.raises(ArchiveTooLarge, match="time limit"):
        unpack_eprint(data, max_seconds=0.0)


def test_corrupt_archives_raise_a_clear_error() -> None:
    good = make_tar([regular("main.tex", TEX * 200)])
    with pytest.raises(CorruptArchive):
        unpack_eprint(good[: len(good) // 2])
    with pytest.raises(CorruptArchive):
        unpack_eprint(bytes(range(256)) * 4)


def test_check_entry_name_normalises_harmless_names() -> None:
    assert check_entry_name("./a//b/./c.tex") == "a/b/c.tex"
    with pytest.raises(UnsafeArchive):
        check_entry_name("a\x00b")


def test_quote_at_is_the_g1_check_on_a_stored_source() -> None:
    files = {"main.tex": "Model & 45.2 & 47.1 \\\\"}
    start = files["main.tex"].index("45.2")
    assert quote_at(files, "main.tex", start, start + 4, "45.2")
    assert not quote_at(files, "main.tex", start, start + 4, "47.1")
    assert not quote_at(files, "other.tex", start, start + 4, "45.2")
    assert not quote_at(files, "main.tex", -1, 3, "Mod")
