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


class FakeHub:
    """`snapshot_download` over a copy of the fixture snapshot: files matching the patterns land in a
    folder named by the commit, and every call is recorded."""

    def __init__(self, root: Path, damage: dict[str, object] | None = None) -> None:
        self.root, self.damage, self.calls = root, damage or {}, []  # type: ignore[var-annotated]

    def __call__(self, repo_id: str, *, revision=None, allow_patterns=(), token=None) -> str:  # type: ignore[no-untyped-def]
        import fnmatch

        self.calls.append((revision, list(allow_patterns)))
        folder = self.root / SNAPSHOT.name
        folder.mkdir(parents=True, exist_ok=True)
        for path in SNAPSHOT.iterdir():
            if any(fnmatch.fnmatch(path.name, pattern) for pattern in allow_patterns):
                data = json.loads(path.read_text()) if path.name == "config.json" else None
                if data is not None:
                    data.update(self.damage)
                    (folder / path.name).write_text(json.dumps(data))
                else:
                    (folder / path.name).write_bytes(path.read_bytes())
        return str(folder)


def test_a_hub_model_is_vetted_before_its_weights_are_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Config and tokenizer come first; a model that needs remote code is refused before a byte of its
    weights is fetched; a sound one then gets the weights of the same commit."""
    import huggingface_hub

    refused = FakeHub(tmp_path / "refused", {"model_type": "evil_arch", "auto_map": {"AutoModelForCausalLM": "x.M"}})
    monkeypatch.setattr(huggingface_hub, "snapshot_download", refused)
    with pytest.raises(ModelRejected, match="names remote code"):
        loader().load("someone/remote-code-model")
    assert refused.calls == [(None, models.META_PATTERNS)] and "*.safetensors" not in models.META_PATTERNS
    assert not list((tmp_path / "refused").rglob("*.safetensors"))
    twice = loader()
    with pytest.raises(ModelRejected):
        twice.resolve("someone/remote-code-model")
    vetted = monkeypatch.context()
    with vetted as patch:
        patch.setattr(models.vetting, "vet_model_folder", lambda folder: pytest.fail("vetted twice"))
        with pytest.raises(ModelRejected, match="names remote code"):  # the same commit: refused from memory
            twice.resolve("someone/remote-code-model")

    sound = FakeHub(tmp_path / "sound")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", sound)
    vets: list[Path] = []
    original = models.vetting.vet_model_folder
    monkeypatch.setattr(models.vetting, "vet_model_folder", lambda folder: vets.append(folder) or original(folder))
    loaded = loader().load("paperverdict-fixtures/tiny-llama")
    assert vets == [sound.root / SNAPSHOT.name]  # vetted once, as it was fetched, not again to load it
    assert sound.calls == [(None, models.META_PATTERNS), (SNAPSHOT.name, models.ALLOW_PATTERNS)]
    assert loaded.revision == SNAPSHOT.name and loaded.parameters > 0
    # a later claim of the same commit, in a new loader: vetted once, then no second vetting or
    # weight fetch; a refused commit stays refused without a new child
    same = loader()
    same.resolve("paperverdict-fixtures/tiny-llama")
    calls = len(sound.calls)
    monkeypatch.setattr(models.vetting, "vet_model_folder", lambda folder: pytest.fail("vetted twice"))
    assert same.resolve("paperverdict-fixtures/tiny-llama") == (
        Path(sound.calls and sound.root / SNAPSHOT.name),
        SNAPSHOT.name,
    )
    assert len(sound.calls) == calls + 1  # only the config and tokenizer lookup that gives the commit


def test_the_measurement_key_lookup_fetches_no_weights_and_vets_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache key needs only the commit: config and tokenizer files, no vetting child, no weights.
    The load that follows on a cache miss still vets before it fetches the weights; a commit refused
    once is refused by the next lookup too."""
    import huggingface_hub

    hub = FakeHub(tmp_path / "hub")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", hub)
    original = models.vetting.vet_model_folder
    monkeypatch.setattr(models.vetting, "vet_model_folder", lambda folder: pytest.fail("vetted for a key"))
    fresh = loader()
    assert fresh.pinned("paperverdict-fixtures/tiny-llama")[0] == SNAPSHOT.name
    assert hub.calls == [(None, models.META_PATTERNS)]
    assert not list((tmp_path / "hub").rglob("*.safetensors"))
    vets: list[Path] = []
    monkeypatch.setattr(models.vetting, "vet_model_folder", lambda folder: vets.append(folder) or original(folder))
    assert fresh.load("paperverdict-fixtures/tiny-llama").revision == SNAPSHOT.name
    assert len(vets) == 1 and hub.calls[-1] == (SNAPSHOT.name, models.ALLOW_PATTERNS)

    refused = FakeHub(tmp_path / "refused", {"model_type": "evil_arch", "auto_map": {"AutoModelForCausalLM": "x.M"}})
    monkeypatch.setattr(huggingface_hub, "snapshot_download", refused)
    assert fresh.pinned("someone/remote-code-model")[0] == SNAPSHOT.name  # not vetted yet: a key, not a load
    with pytest.raises(ModelRejected, match="names remote code"):
        fresh.load("someone/remote-code-model")
    with pytest.raises(ModelRejected, match="names remote code"):
        fresh.pinned("someone/remote-code-model")
    assert not list((tmp_path / "refused").rglob("*.safetensors"))
