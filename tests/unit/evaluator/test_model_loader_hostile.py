"""Hostile model folders and ids: every refusal is a permanent ModelLoadError with the reason, never a
traceback; a paper's "org/name" never loads a folder of this machine; local revisions say so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from services.evaluator import models
from services.evaluator.models import ModelLoader, ModelLoadError, ModelNotFound, ModelRejected
from shared.settings import EvaluatorSettings

SNAPSHOT = next(
    (
        Path(__file__).resolve().parents[3]
        / "fixtures"
        / "hub"
        / "models--paperverdict-fixtures--tiny-llama"
        / "snapshots"
    ).iterdir()
)


def folder_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(SNAPSHOT, folder)
    return folder


def loader(**settings) -> ModelLoader:  # type: ignore[no-untyped-def]
    return ModelLoader(EvaluatorSettings(device="cpu", **settings))


def test_a_paper_model_id_never_resolves_to_a_local_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(SNAPSHOT, tmp_path / "evil-org" / "model")  # "evil-org/model" exists here, relative to cwd
    with pytest.raises(ModelNotFound):
        loader().resolve("evil-org/model")
    folder, revision = loader(allow_local_models=True).resolve("evil-org/model")
    assert folder == Path("evil-org/model") and revision.startswith("local-sha256:")


def test_local_revision_is_marked_streamed_and_hashed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = folder_copy(tmp_path)
    first = models.folder_revision(folder)
    assert first.startswith("local-sha256:") and len(first) == len("local-sha256:") + 64
    opened: list[str] = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self.name) or real_open(self, *a, **k))
    assert models.folder_revision(folder) == first and opened == []  # cached: nothing read again
    (folder / "config.json").write_text((folder / "config.json").read_text() + " ")
    assert models.folder_revision(folder) != first  # a changed file is a new revision


@pytest.mark.parametrize("damage", ["pickle only", "remote code", "truncated weights", "config not json"])
def test_damaged_folders_are_refused_with_the_reason(tmp_path: Path, damage: str) -> None:
    folder = folder_copy(tmp_path)
    if damage == "pickle only":
        (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    elif damage == "remote code":
        config = json.loads((folder / "config.json").read_text())
        config.update(model_type="evil_arch", auto_map={"AutoModelForCausalLM": "evil.EvilModel"})
        (folder / "config.json").write_text(json.dumps(config))
    elif damage == "truncated weights":
        weights = folder / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:4096])
    else:
        (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError) as raised:
        loader(allow_local_models=True).load(str(folder))
    assert isinstance(raised.value, ModelRejected) and str(folder) in str(raised.value), raised.value


def test_a_folder_over_the_size_limit_is_refused_before_it_is_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = folder_copy(tmp_path)
    monkeypatch.setattr(models, "folder_revision", lambda _: pytest.fail("hashed before the size check"))
    with pytest.raises(ModelRejected, match="above the"):
        loader(allow_local_models=True, max_model_bytes=1000).resolve(str(folder))
