"""The evaluator's untrusted files are parsed in a limited child: each hostile file ends as a `Rejected`
with its reason, in bounded time, and the test process itself never parses it."""

from __future__ import annotations

import json
import resource
import shutil
import time
from pathlib import Path

import pytest

from services.evaluator import vetting
from services.evaluator.vetting import Rejected
from shared.isolation import Limits

SNAPSHOT = next(
    (
        Path(__file__).resolve().parents[3]
        / "fixtures"
        / "hub"
        / "models--paperverdict-fixtures--tiny-llama"
        / "snapshots"
    ).iterdir()
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(SNAPSHOT, target)
    return target


def test_a_sound_folder_is_summarised(folder: Path) -> None:
    summary = vetting.vet_model_folder(folder)
    assert summary["model_type"] == "llama" and summary["architectures"] == ["LlamaForCausalLM"]
    assert summary["tokenizer_size"] >= summary["vocab_size"] > 0


@pytest.mark.parametrize(
    ("name", "own_class"),
    [("config.json", {"model_type": "evil_arch"}), ("tokenizer_config.json", {"tokenizer_class": "EvilTokenizer"})],
)
def test_remote_code_is_refused_in_the_child(folder: Path, name: str, own_class: dict[str, str]) -> None:
    """A model or tokenizer that exists only as its repository's code (Qwen 1, Baichuan, InternLM)."""
    data = json.loads((folder / name).read_text())
    data.update(auto_map={"AutoModelForCausalLM": "evil.Model"}, **own_class)
    (folder / name).write_text(json.dumps(data))
    with pytest.raises(Rejected, match=f"PermissionError: {name} names remote code .*'[Ee]vil.*: refused"):
        vetting.vet_model_folder(folder)


def test_a_model_transformers_implements_loads_with_transformers_own_class_despite_an_auto_map(folder: Path) -> None:
    """MPT's and Phi-3's repositories ship `auto_map` beside a model type transformers implements: without
    remote code `from_pretrained` uses its own class, and so do we (refusing them lost those claims)."""
    for name in ("config.json", "tokenizer_config.json"):
        data = json.loads((folder / name).read_text())
        data["auto_map"] = {
            "AutoConfig": "evil.Config",
            "AutoModelForCausalLM": "evil.Model",
            "AutoTokenizer": ["evil.T", None],
        }
        (folder / name).write_text(json.dumps(data))
    summary = vetting.vet_model_folder(folder)
    assert summary["model_type"] == "llama" and summary["architectures"] == ["LlamaForCausalLM"]


def test_oversized_files_are_refused_from_stat_alone(folder: Path) -> None:
    with open(folder / "config.json", "r+b") as handle:
        handle.truncate(3 * 2**30)  # sparse: 3 GiB that nobody reads
    started = time.monotonic()
    with pytest.raises(Rejected, match=r"config.json is 3221.2 MB, above the 1 MB limit"):
        vetting.vet_model_folder(folder)
    assert time.monotonic() - started < 1


def test_deeply_nested_config_is_a_reason_not_a_crash(folder: Path) -> None:
    (folder / "config.json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(Rejected, match="cannot be read: RecursionError"):
        vetting.vet_model_folder(folder)


def test_missing_config_is_refused(folder: Path) -> None:
    (folder / "config.json").unlink()
    with pytest.raises(Rejected, match="no config.json"):
        vetting.vet_model_folder(folder)


def test_a_data_file_over_the_memory_limit_stops_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "test.jsonl"
    path.write_text('{"a": 1}\n' * 1_500_000)  # 13 MB of text, about 400 MB of dicts
    limits = Limits(memory_bytes=256 * 2**20, seconds=60, rlimit=resource.RLIMIT_DATA)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(Rejected, match=r"^limit: memory over 256 MiB during reading test.jsonl$"):
        vetting.read_jsonl(path, limits)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB: not parsed here


def test_a_slow_data_file_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    path = tmp_path / "validation.jsonl"
    path.write_text('{"q": [1, 2, 3, 4, 5, 6, 7, 8]}\n' * 3_000_000)
    started = time.monotonic()
    with pytest.raises(Rejected, match=r"^limit: reading validation.jsonl over 1 s \(the process was stopped\)$"):
        vetting.read_jsonl(
            path, Limits(memory_bytes=8 * 2**30, seconds=0.5, grace_seconds=0.5, rlimit=resource.RLIMIT_DATA)
        )
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "content, reason",
    [
        (b'{"a": 1}\n[1, 2]\n', "line 2 is not a JSON object"),
        (b'{"a": "\xff\xfe"}\n', "UnicodeDecodeError"),
        (b'{"a": 1\n', "JSONDecodeError"),
    ],
)
def test_bad_data_lines_are_reasons(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "dev.jsonl"
    path.write_bytes(content)
    with pytest.raises(Rejected, match=f"dev.jsonl cannot be read: .*{reason}"):
        vetting.read_jsonl(path)


def test_good_data_comes_back_as_plain_rows(tmp_path: Path) -> None:
    path = tmp_path / "test.jsonl"
    path.write_text('{"question": "2+2?", "choices": ["3", "4"], "answer": 1}\n\n{"question": "x", "answer": 0}\n')
    assert vetting.read_jsonl(path) == [
        {"question": "2+2?", "choices": ["3", "4"], "answer": 1},
        {"question": "x", "answer": 0},
    ]


def test_an_oversized_data_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "test.jsonl"
    with open(path, "wb") as handle:
        handle.truncate(vetting.DATA_FILE_LIMIT + 1)
    with pytest.raises(Rejected, match="above the 1024 MB limit"):
        vetting.read_jsonl(path)


def test_the_loader_and_the_data_folder_go_through_the_child(folder: Path, tmp_path: Path) -> None:
    from services.evaluator.models import ModelLoader, ModelRejected
    from shared.settings import EvaluatorSettings

    data = json.loads((folder / "tokenizer_config.json").read_text())
    data.update(auto_map={"AutoTokenizer": ["evil.Tokenizer", None]}, tokenizer_class="EvilTokenizer")
    (folder / "tokenizer_config.json").write_text(json.dumps(data))
    loader = ModelLoader(EvaluatorSettings(device="cpu", allow_local_models=True))
    with pytest.raises(ModelRejected, match="was refused: .*PermissionError: tokenizer_config.json names remote code"):
        loader.load(str(folder))

    (tmp_path / "data" / "arc_easy").mkdir(parents=True)
    (tmp_path / "data" / "arc_easy" / "test.jsonl").write_text("[" * 100_000 + "\n")
    # a data folder's lm-eval task: refused before lm-eval's `datasets` reads it
    from services.evaluator.lm_eval_catalog import LmEvalCatalog

    reason = LmEvalCatalog(None, offline=True, data_dir=tmp_path / "data").describe("arc_easy")
    assert "task data arc_easy: test.jsonl cannot be read: RecursionError" in reason
