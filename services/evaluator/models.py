"""Loading the model a claim names, safely: `from_pretrained` at a pinned revision (the resolved
commit sha goes into the measurement), `trust_remote_code=False`, safetensors only, a size limit.
Loads are cached by (model id, revision): one evaluator process loads a model once for all its
claims (claims are keyed by model on Kafka, so they arrive at the same process)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.evaluator import vetting
from shared.logging import get_logger
from shared.settings import WEIGHT_DTYPES, EvaluatorSettings

log = get_logger("paperverdict.evaluator.models")

ALLOW_PATTERNS = ["*.json", "*.safetensors", "tokenizer*", "*.model", "*.tiktoken", "*.txt", "*.jinja"]
# what vetting reads (config, tokenizer): fetched and vetted before a byte of the weights is downloaded
META_PATTERNS = [pattern for pattern in ALLOW_PATTERNS if pattern != "*.safetensors"]


class ModelLoadError(Exception):
    """The model cannot be evaluated; the message is the measurement's failure reason."""


class ModelNotFound(ModelLoadError):
    pass


class ModelRejected(ModelLoadError):
    pass


@dataclass
class LoadedModel:
    model_id: str
    revision: str  # resolved commit sha (or a content digest for a local folder)
    model: Any
    tokenizer: Any
    device: str
    dtype: str
    parameters: int


def pick_device(setting: str) -> str:
    import torch

    if setting == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return setting


class ModelLoader:
    def __init__(self, settings: EvaluatorSettings) -> None:
        self.settings = settings
        self.device = pick_device(settings.device)
        self._loaded: dict[tuple[str, str], LoadedModel] = {}
        self._lock = threading.Lock()
        # Hub snapshots (one folder per commit) already vetted and fetched whole, or refused, and why
        self._complete: set[Path] = set()
        self._refused: dict[Path, str] = {}
        self.loads = 0  # models actually loaded (not answered from memory), for the metrics

    @property
    def token(self) -> str | None:
        return self.settings.hf_token.get_secret_value() if self.settings.hf_token else None

    def resolve(self, model_id: str, revision: str | None = None) -> tuple[Path, str]:
        """The local snapshot folder and its commit sha (downloading weights only if needed)."""
        local = Path(model_id)
        if self.settings.allow_local_models and local.is_dir():
            self._check_local_size(model_id, local)
            try:  # before anything is read or hashed
                vetting.check_sizes(local)
            except vetting.Rejected as error:
                raise ModelRejected(f"model {model_id!r} was refused: {error}") from None
            return local, folder_revision(local)
        try:
            self._check_remote_size(model_id, revision)
        except (OSError, ValueError) as error:
            raise _unavailable(model_id, revision, error) from error
        # config and tokenizer first, vetted (remote code, hostile JSON: refused) before any weight is
        # downloaded; then the weights of the same commit
        meta = self._fetch(model_id, META_PATTERNS, revision)
        if meta in self._complete:  # this commit was vetted and fetched whole before (a folder per commit)
            return meta, meta.name
        if meta in self._refused:
            raise ModelRejected(self._refused[meta])
        try:
            self._vet(model_id, meta)
        except ModelRejected as error:
            self._refused[meta] = str(error)
            raise
        folder = self._fetch(model_id, ALLOW_PATTERNS, meta.name)
        self._complete.add(folder)
        return folder, folder.name

    def pinned(self, model_id: str, revision: str | None = None) -> tuple[str, str]:
        """The commit sha (a local folder's digest) a load of `model_id` would pin and the dtype it would
        load the weights in (`load_dtype`, from the checkpoint's config.json), for the measurement-cache
        key: only config and tokenizer files are fetched, nothing is vetted or loaded, no weight is
        downloaded. A commit refused before stays refused (`ModelRejected`)."""
        if self.settings.allow_local_models and Path(model_id).is_dir():
            folder, sha = self.resolve(model_id, revision)  # size checks, then the digest: nothing to fetch
        else:
            folder = self._fetch(model_id, META_PATTERNS, revision)
            if folder in self._refused:
                raise ModelRejected(self._refused[folder])
            sha = folder.name
        return sha, load_dtype(self.settings.dtype, self.device, config_json(folder))

    def _fetch(self, model_id: str, patterns: list[str], revision: str | None) -> Path:
        """The snapshot folder (one per commit) holding the files of `model_id` that match `patterns`."""
        from huggingface_hub import snapshot_download

        try:
            return Path(snapshot_download(model_id, revision=revision, allow_patterns=patterns, token=self.token))
        except (OSError, ValueError) as error:  # not found, gated, unknown revision, offline, ...
            raise _unavailable(model_id, revision, error) from error

    def _vet(self, model_id: str, folder: Path) -> None:
        """Config and tokenizer parsed in a limited child; `ModelRejected` with the reason otherwise."""
        try:
            vetting.check_sizes(folder)
            vetting.vet_model_folder(folder)
        except vetting.Rejected as error:
            raise ModelRejected(f"model {model_id!r} was refused: {error}") from None

    def _check_local_size(self, model_id: str, folder: Path) -> None:
        weights = list(folder.glob("*.safetensors"))
        if not weights:
            raise ModelRejected(f"model {model_id!r} has no safetensors weights; only safetensors are loaded")
        size = sum(p.stat().st_size for p in weights)
        if size > self.settings.max_model_bytes:
            raise ModelRejected(
                f"model {model_id!r} is {size / 1e9:.1f} GB, above the "
                f"{self.settings.max_model_bytes / 1e9:.1f} GB limit (PV_EVAL_MAX_MODEL_BYTES)"
            )

    def _check_remote_size(self, model_id: str, revision: str | None) -> None:
        from huggingface_hub import HfApi, constants

        if constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
            return
        info = HfApi(token=self.token).model_info(model_id, revision=revision, files_metadata=True)
        weights = [s for s in info.siblings or [] if s.rfilename.endswith(".safetensors")]
        if not weights:
            raise ModelRejected(f"model {model_id!r} has no safetensors weights; only safetensors are loaded")
        total = sum(s.size or 0 for s in weights)
        if total > self.settings.max_model_bytes:
            raise ModelRejected(
                f"model {model_id!r} is {total / 1e9:.1f} GB, above the "
                f"{self.settings.max_model_bytes / 1e9:.1f} GB limit (PV_EVAL_MAX_MODEL_BYTES)"
            )

    def load(self, model_id: str, revision: str | None = None) -> LoadedModel:
        with self._lock:
            folder, sha = self.resolve(model_id, revision)
            key = (model_id, sha)
            if key not in self._loaded:
                started = time.perf_counter()
                self._loaded[key] = self._load(model_id, folder, sha)
                self.loads += 1
                log.info(
                    "model_loaded", model_id=model_id, revision=sha, seconds=round(time.perf_counter() - started, 2)
                )
            return self._loaded[key]

    def _load(self, model_id: str, folder: Path, sha: str) -> LoadedModel:
        import torch
        from safetensors import SafetensorError
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        weights = list(folder.glob("*.safetensors"))
        if not weights:
            raise ModelRejected(f"model {model_id!r} has no safetensors weights; only safetensors are loaded")
        size = sum(p.stat().st_size for p in weights)
        if size > self.settings.max_model_bytes:
            raise ModelRejected(f"model {model_id!r} is {size / 1e9:.1f} GB, above the limit")
        if folder not in self._complete:  # a Hub commit was vetted as it was fetched
            self._vet(model_id, folder)  # config and tokenizer parsed in a limited child first: only then here
        try:
            config = AutoConfig.from_pretrained(folder, trust_remote_code=False)
        except ValueError as error:  # an architecture that needs remote code
            raise ModelRejected(f"model {model_id!r} needs trust_remote_code, which is refused: {error}") from error
        except (OSError, TypeError) as error:  # a config that is not JSON, or not a model config
            raise ModelRejected(f"model {model_id!r} has no usable config: {_reason(error)}") from error
        dtype = getattr(torch, load_dtype(self.settings.dtype, self.device, config))
        try:
            model = AutoModelForCausalLM.from_pretrained(
                folder,
                config=config,
                dtype=dtype,
                use_safetensors=True,
                trust_remote_code=False,
                attn_implementation=attention_implementation(config),
            )
            model.to(self.device).eval()
            tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        except (SafetensorError, OSError, ValueError, RuntimeError, KeyError) as error:  # truncated weights, ...
            raise ModelRejected(f"model {model_id!r} could not be loaded: {_reason(error)}") from error
        from services.evaluator.engine import head_mismatch

        try:
            mismatch = head_mismatch(model)
        except (RuntimeError, ValueError, TypeError, AttributeError, IndexError) as error:  # a forward that needs more
            mismatch = f"its logits could not be checked against its own forward: {_reason(error)}"
        if mismatch:
            raise ModelRejected(f"model {model_id!r}: {mismatch}")
        return LoadedModel(
            model_id=model_id,
            revision=sha,
            model=model,
            tokenizer=tokenizer,
            device=self.device,
            dtype=str(dtype).removeprefix("torch."),
            parameters=sum(p.numel() for p in model.parameters()),
        )


def load_dtype(setting: str, device: str, config: Any) -> str:
    """The weights' dtype: a named one; else on a GPU the checkpoint's own (HFLM's default `dtype="auto"`:
    a float16 checkpoint runs in float16, where bfloat16 would round differently from the reference),
    bfloat16 when the config names none; float32 on the CPU. `config`: a parsed config, or config.json's
    mapping (the cache key's view, before anything is vetted)."""
    if setting != "auto":
        return setting
    if not device.startswith("cuda"):
        return "float32"
    if isinstance(config, dict):
        text = config.get("text_config") if isinstance(config.get("text_config"), dict) else {}
        named = next((part.get(k) for part in (text, config) for k in ("dtype", "torch_dtype") if part.get(k)), None)
    else:
        text = config.get_text_config() if hasattr(config, "get_text_config") else config
        named = getattr(text, "dtype", None) or getattr(config, "dtype", None)
    name = str(named).removeprefix("torch.") if named is not None else ""
    return name if name in WEIGHT_DTYPES and name != "auto" else "bfloat16"


def config_json(folder: Path) -> dict[str, Any] | None:
    """config.json as a plain mapping, read without transformers (nothing in it is run or vetted yet);
    None for one above vetting's size limit (which refuses it) or not a JSON object."""
    path = folder / "config.json"
    try:
        if path.stat().st_size > vetting.FILE_LIMITS["config.json"]:
            return None
        return vetting.json_object(path)
    except (OSError, ValueError):
        return None


def attention_implementation(config: Any) -> str:
    """SDPA where the architecture has it, else eager (Gemma 2: its attention-logit soft-capping has no
    SDPA path, and loading it with SDPA raises), as transformers' and HFLM's own default picks. The
    engine's packed masks are boolean for SDPA and additive otherwise (`Engine._attention_mask`)."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    try:
        model_class = MODEL_FOR_CAUSAL_LM_MAPPING[type(config)]
    except KeyError:  # not a causal LM: from_pretrained says so
        return "sdpa"
    return "sdpa" if getattr(model_class, "_supports_sdpa", False) else "eager"


def _unavailable(model_id: str, revision: str | None, error: Exception) -> ModelNotFound:
    name = type(error).__name__
    return ModelNotFound(f"model {model_id!r} (revision {revision or 'main'}) is not available: {name}")


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"


def public_model_id(model_id: str) -> str:
    """What a measurement records for `model_id`: a Hub id as given; a local folder without the
    machine's path: "org/name" for a Hugging Face cache snapshot (models--org--name/snapshots/REV),
    else "local:<folder name>"."""
    path = Path(model_id)
    if not path.is_dir():
        return model_id
    parts = path.resolve().parts
    if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith("models--"):
        return parts[-3].removeprefix("models--").replace("--", "/", 1)
    return f"local:{path.resolve().name}"


_revisions: dict[tuple[str, tuple[tuple[str, int, int], ...]], str] = {}
CHUNK = 1 << 20


def folder_revision(folder: Path) -> str:
    """A local folder's revision, "local-sha256:<digest of its config and weight files>": never a 40-hex
    string that looks like a Hub commit. Files are hashed in 1 MiB chunks, once per (path, names, sizes,
    mtimes) in this process."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in {".json", ".safetensors"})
    key = (str(folder.resolve()), tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if key not in _revisions:
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.name.encode() + b"\0")
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
        _revisions[key] = f"local-sha256:{digest.hexdigest()}"
    return _revisions[key]
