"""The Hugging Face Hub, asked through huggingface_hub's HfApi: the models a paper's card tags, name
search, one repo's metadata; and `reject_reason`, the pure check of a Hub candidate against a printed name.

Every request asks for the fields the checks need (`EXPAND`). Failures: connection errors, timeouts,
HTTP 5xx and 429 raise `HubUnavailable` (transient, with the Retry-After seconds when the Hub sent
them); a repo that does not exist is `None`; any other refusal (a rejected token, a malformed answer)
raises `HubError`.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from huggingface_hub import HfApi
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError
from huggingface_hub.hf_api import ExpandModelProperty_T, ModelInfo
from huggingface_hub.utils import parse_ratelimit_headers  # type: ignore[attr-defined]  # documented, lazily exported

from shared.architectures import remote_code_reason
from shared.errors import UpstreamUnavailable

T = TypeVar("T")

EXPAND: list[ExpandModelProperty_T] = ["safetensors", "config", "pipeline_tag", "tags", "siblings", "gated"]
EXPAND += ["downloads", "sha"]

# A model's name rounds its size down and often leaves out the embeddings (Gemma-7B has 8.54B
# parameters, Gemma-2-2B 2.61B, Llama-3.2-1B 1.24B), so a checkpoint may be well above its printed size
# but hardly below it. A mixture of experts is printed by its active or its naive size ("A2.7B", "8x7B").
SIZE_BELOW = 0.15
SIZE_ABOVE = 0.35
MOE_RANGE = (0.75, 40.0)

_INSTRUCT_NAME = re.compile(r"(?:^|[-_.])(instruct|chat|it|sft|dpo|rlhf)(?=$|[-_.\d])", re.IGNORECASE)
_INSTRUCT_TAGS = {"chat", "instruct", "instruction-tuned"}
_MOE_TAGS = {"moe", "mixture-of-experts"}
_MOE_CONFIG = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")


@dataclass(frozen=True)
class HubModel:
    repo: str
    sha: str | None
    params_b: float | None  # safetensors total parameters / 1e9
    causal_lm: bool  # config.architectures has a *ForCausalLM, or pipeline_tag == "text-generation"
    safetensors: bool  # weights as .safetensors (siblings or safetensors metadata)
    gated: bool
    tags: tuple[str, ...]
    downloads: int = 0
    moe: bool = False  # a mixture of experts (config or tags): params_b counts every expert
    remote_code: str | None = None  # why only the repository's code could run it (shared.architectures)


class HubError(Exception):
    """The Hub answered but refused (a rejected token, a malformed answer): retrying will not help."""


class HubUnavailable(UpstreamUnavailable):
    """The Hub could not be reached, timed out, or answered 5xx or 429 (`retry_after_s`: its Retry-After)."""

    def __init__(self, endpoint: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(f"the Hugging Face Hub at {endpoint}", message, retry_after_s)
        self.endpoint = endpoint


class _Missing(Exception):
    pass


class HubClient:
    """Synchronous (call it with asyncio.to_thread from async code); one HfApi per client."""

    def __init__(
        self, endpoint: str = "https://huggingface.co", token: str | None = None, timeout: float = 10.0
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        # token=False: never send the token saved on this machine (HF_TOKEN, `hf auth login`) to an endpoint
        # it was not given for; PV_HUB_TOKEN is the one way to authenticate.
        self.api = HfApi(endpoint=self.endpoint, token=token or False, library_name="paperverdict")

    def paper_models(self, arxiv_id: str, limit: int = 100) -> list[HubModel]:
        """The models whose card cites the paper (the Hub tags them `arxiv:<id>`), most downloaded first."""
        tag = "arxiv:" + re.sub(r"v\d+$", "", arxiv_id.strip())

        def ask() -> list[HubModel]:
            found = self.api.list_models(filter=tag, sort="downloads", limit=limit, expand=EXPAND)
            return [to_hub_model(m) for m in found]

        return self._call(ask)

    def search(self, query: str, limit: int = 20) -> list[HubModel]:
        """Repos whose id contains the query, most downloaded first."""

        def ask() -> list[HubModel]:
            found = self.api.list_models(search=query, sort="downloads", limit=limit, expand=EXPAND)
            return [to_hub_model(m) for m in found]

        return self._call(ask)

    def info(self, repo: str) -> HubModel | None:
        """One repo's metadata; None when the Hub says it does not exist (or is private to others)."""

        def ask() -> HubModel:
            return to_hub_model(self.api.model_info(repo, expand=EXPAND, timeout=self.timeout))

        try:
            return self._call(ask, missing_ok=True)
        except GatedRepoError:
            # the Hub serves a gated repo's metadata to anyone; refusing it means nothing can be checked
            return HubModel(repo, None, None, causal_lm=False, safetensors=False, gated=True, tags=())
        except _Missing:
            return None

    def _call(self, ask: Callable[[], T], missing_ok: bool = False) -> T:
        """`ask()` in a worker thread, given up after `timeout` seconds: HfApi.list_models has no timeout
        of its own and retries 429 and 5xx for up to ~25 s; an outage is the caller's to wait out.
        missing_ok: a repo the Hub does not have (RepoNotFound, any 404) raises _Missing, not HubError."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["value"] = ask()
            except Exception as exc:  # noqa: BLE001  (handed to the caller's thread, which raises it)
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=work, daemon=True, name="hub-request").start()
        if not done.wait(self.timeout):
            raise HubUnavailable(self.endpoint, f"no answer within {self.timeout:g}s")
        error = box.get("error")
        if error is None:
            value: T = box["value"]
            return value
        if missing_ok and isinstance(error, GatedRepoError):
            raise error
        if missing_ok and (
            isinstance(error, RepositoryNotFoundError)
            or (isinstance(error, HfHubHTTPError) and error.response.status_code == 404)
        ):
            raise _Missing(repr(error)) from error
        raise self._translate(error) from error

    def _translate(self, exc: Exception) -> Exception:
        if isinstance(exc, OfflineModeIsEnabled):
            return HubUnavailable(self.endpoint, "huggingface_hub's offline mode is on (HF_HUB_OFFLINE=1)")
        if isinstance(exc, HfHubHTTPError):
            status = exc.response.status_code
            if status >= 500 or status in (408, 429):
                return HubUnavailable(self.endpoint, f"HTTP {status}", retry_after(exc.response.headers))
            return HubError(f"the Hugging Face Hub at {self.endpoint} refused: {str(exc).splitlines()[0]}")
        if isinstance(exc, _transport_errors()):
            return HubUnavailable(self.endpoint, f"{type(exc).__name__}: {str(exc)[:200]}")
        if isinstance(exc, ValueError | KeyError | TypeError):  # a body that is not the Hub's JSON
            return HubError(f"the Hugging Face Hub at {self.endpoint} sent an unreadable answer: {exc!r}"[:300])
        return exc


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the Hub asks to wait: Retry-After, or its RateLimit header when the quota is spent."""
    value = (headers.get("Retry-After") or "").strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    limit = parse_ratelimit_headers(headers)
    return float(limit.reset_in_seconds) if limit is not None and limit.remaining == 0 else None


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection and timeout errors of whichever HTTP library this huggingface_hub uses (httpx2,
    httpx, requests before 1.0)."""
    found: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module, names in (("httpx2", ("TransportError",)), ("httpx", ("TransportError",))):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        found += [getattr(mod, name) for name in names]
    try:
        requests = importlib.import_module("requests")
        found += [requests.ConnectionError, requests.Timeout]
    except ImportError:
        pass
    return tuple(found)


def to_hub_model(info: ModelInfo) -> HubModel:
    config: dict[str, Any] = info.config or {}
    tokenizer = config.get("tokenizer_config")  # the Hub's summary of tokenizer_config.json
    architectures = [str(a) for a in config.get("architectures") or []]
    tags = tuple(str(t) for t in info.tags or ())
    siblings = [s.rfilename for s in info.siblings or []]
    total = info.safetensors.total if info.safetensors else None
    moe = (
        any("moe" in a.lower() or a.startswith("Mixtral") for a in architectures)
        or any(isinstance(config.get(k), int) and config[k] > 1 for k in _MOE_CONFIG)
        or bool(_MOE_TAGS & {t.lower() for t in tags})
    )
    return HubModel(
        repo=info.id,
        sha=info.sha,
        params_b=total / 1e9 if total else None,
        causal_lm=any(a.endswith("ForCausalLM") for a in architectures) or info.pipeline_tag == "text-generation",
        safetensors=total is not None or any(name.endswith(".safetensors") for name in siblings),
        gated=bool(info.gated),
        tags=tags,
        downloads=int(info.downloads or 0),
        moe=moe,
        remote_code=remote_code_reason(config, tokenizer if isinstance(tokenizer, dict) else None),
    )


def is_instruct(model: HubModel) -> bool:
    """Instruction-tuned by its name (-Instruct, -chat, -it, -SFT, -DPO) or its tags."""
    name = model.repo.rsplit("/", 1)[-1]
    return bool(_INSTRUCT_NAME.search(name)) or bool(_INSTRUCT_TAGS & {t.lower() for t in model.tags})


def reject_reason(model: HubModel, printed_size_b: float | None, want_instruct: bool | None) -> str | None:
    """Why this Hub candidate may not be used for the printed name; None when it may.

    want_instruct: True for an instruction-tuned model, False for a base model, None when the paper
    does not say."""
    if model.sha is None and model.gated and not model.causal_lm:
        return "gated, and the Hub would not show its metadata to this token"
    if not model.causal_lm:
        return "not a causal language model (no *ForCausalLM architecture, pipeline is not text-generation)"
    if not model.safetensors:
        return "no safetensors weights (pickled weights are never loaded)"
    if model.remote_code:
        return model.remote_code
    if printed_size_b and model.params_b:
        ratio = model.params_b / printed_size_b
        low, high = MOE_RANGE if model.moe else (1 - SIZE_BELOW, 1 + SIZE_ABOVE)
        if not low <= ratio <= high:
            kind = "a mixture of experts with " if model.moe else ""
            return f"{kind}{model.params_b:.3g}B parameters, but the paper prints {printed_size_b:g}B"
    if want_instruct is not None and want_instruct != is_instruct(model):
        if want_instruct:
            return "a base model (no -Instruct/-chat/-it in its name or tags), the paper means an instruction-tuned one"
        return "an instruction-tuned model (-Instruct/-chat/-it), the paper means the base model"
    return None
