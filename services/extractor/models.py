"""Model resolution: a printed row/column name -> a Hugging Face repo id, or the reason there is none.

Order of evidence: a huggingface.co link inside the cell itself, a link elsewhere in the paper whose
repo name (or anchor text) is the printed name, the maintained alias table (`aliases.py`), then the
Hub search API when enabled (`ExtractorSettings.hub_search`, off by default and in tests). A caption
or row group that says the models are instruction-tuned makes "SmolLM2-1.7B" mean its Instruct repo.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from services.extractor.aliases import MODEL_ALIASES
from shared.logging import get_logger

log = get_logger(__name__)

HF_LINK = re.compile(
    r"huggingface\.co/(?!datasets/|spaces/|docs/|blog/|papers/|models\?|api/)"
    r"([A-Za-z0-9][\w.\-]{0,95})/([A-Za-z0-9][\w.\-]{0,95}?)(?=[.,;:]?(?:[\s}\]#?\"')]|$))"
)
_HREF = re.compile(r"\\href\s*\{([^{}]{1,300})\}\s*\{([^{}]{1,200})\}")
_FAMILY = re.compile(
    r"\b(?:llama|qwen|mistral|mixtral|gemma|smollm|olmo|pythia|falcon|bloom|tinyllama|mpt|deepseek|internlm|"
    r"baichuan|stablelm|claude|gemini|palm|chinchilla|gopher|vicuna|alpaca|zephyr|openelm|mobilellm|minicpm|"
    r"granite|galactica|xglm|dbrx|jamba|mamba|rwkv|hymba|cerebras|redpajama|openllama|starcoder|codellama|"
    r"gpt[\s\-]?(?:2|3|4|j|neo|neox|3\.5|4o)|phi[\s\-]?\d|opt[\s\-]\d|yi[\s\-]\d|t5|flan|ourmodel|ours)"
)
_SIZE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s*[BM]\b")
_PROPRIETARY = re.compile(
    r"\b(?:gpt[\s\-]?(?:3\.5|4o?|4[\s\-]?turbo)|chatgpt|claude|gemini|palm|text-davinci|o1|grok)\b", re.I
)
_UNRELEASED = re.compile(r"unreleased|not released|internal|proprietary|closed", re.I)
_ABLATION_ROW = re.compile(
    r"^(?:w/o|w/|with|without|no|only|\+|-|–|−|baseline|ablat|remove|drop|replace|swap)(?:\b|\s|$)", re.I
)
_PARENTHETICAL = re.compile(r"\s*[\(\[][^()\[\]]*[\)\]]\s*")
_INSTRUCT_NAME = re.compile(r"instruct|chat|\bit\b|sft|dpo", re.I)


def normalize(name: str) -> str:
    """Compare model names ignoring case, spaces, hyphens, underscores and a trailing '-hf'."""
    key = re.sub(r"[\s\-_]+", "", name.lower())
    return key[:-2] if key.endswith("hf") and len(key) > 4 else key


_ALIASES = {normalize(k): v for k, v in MODEL_ALIASES.items()}


def collect_links(texts: Iterable[str]) -> dict[str, str]:
    """Normalised repo name (and \\href anchor text) -> repo id, for every huggingface.co model link."""
    links: dict[str, str] = {}
    for text in texts:
        if "huggingface.co" not in text:
            continue
        for m in HF_LINK.finditer(text):
            repo = f"{m.group(1)}/{m.group(2)}"
            links.setdefault(normalize(m.group(2)), repo)
        for m in _HREF.finditer(text):
            link = HF_LINK.search(m.group(1))
            anchor = re.sub(r"\\[A-Za-z]+|[{}]", "", m.group(2)).strip()
            if link and anchor:
                links.setdefault(normalize(anchor), f"{link.group(1)}/{link.group(2)}")
    return links


def links_in(raw: str) -> list[str]:
    return [f"{m.group(1)}/{m.group(2)}" for m in HF_LINK.finditer(raw)]


@dataclass(frozen=True)
class Resolution:
    model_id: str | None
    source: str  # how it was resolved: "link in cell", "link in paper", "alias table", "hub search"
    reason: str | None  # why the model cannot be measured, when unresolved


class HubSearchClient:
    """The Hugging Face Hub model search (`/api/models?search=`). Real, but off unless enabled."""

    def __init__(
        self, http: httpx.Client | None = None, base_url: str = "https://huggingface.co", timeout: float = 10.0
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout

    def search(self, name: str) -> str | None:
        """The repo whose name is `name` (normalised), preferring the most downloaded; else None."""
        http = self._http or httpx.Client(timeout=self._timeout)
        try:
            response = http.get(
                f"{self._base_url}/api/models",
                params={"search": name, "limit": 20, "sort": "downloads", "direction": -1},
            )
            response.raise_for_status()
            results = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("hub_search_failed", name=name, error=str(exc))
            return None
        finally:
            if self._http is None:
                http.close()
        wanted = normalize(name)
        for item in results if isinstance(results, list) else []:
            repo = item.get("id") or item.get("modelId") if isinstance(item, dict) else None
            if isinstance(repo, str) and "/" in repo and normalize(repo.split("/", 1)[1]) == wanted:
                return repo
        return None


class ModelResolver:
    def __init__(self, links: dict[str, str] | None = None, hub: HubSearchClient | None = None) -> None:
        self.links = links or {}
        self.hub = hub
        self._hub_cache: dict[str, str | None] = {}

    def looks_like_model(self, text: str) -> bool:
        if not text or len(text) > 80:
            return False
        key = normalize(_PARENTHETICAL.sub(" ", text))
        if key in _ALIASES or key in self.links:
            return True
        return bool(_FAMILY.search(text.lower()) or _SIZE.search(text))

    def resolve(
        self, levels: list[str], *, instruct: bool = False, cell_links: list[str] | None = None, ablation: bool = False
    ) -> Resolution:
        """Resolve a model label given as header levels (outermost first), e.g. ["Llama 3.2", "1B"]."""
        printed = " / ".join(levels)
        if cell_links:
            return Resolution(cell_links[0], "link in cell", None)
        candidates = _candidates(levels)
        for name in candidates:
            for variant in _variants(name, instruct):
                key = normalize(variant)
                if key in self.links:
                    return Resolution(self.links[key], "link in paper", None)
                if key in _ALIASES:
                    return Resolution(_ALIASES[key], "alias table", None)
        if self.hub is not None:
            for name in candidates[:2]:
                for variant in _variants(name, instruct):
                    if variant not in self._hub_cache:
                        self._hub_cache[variant] = self.hub.search(variant)
                    if self._hub_cache[variant]:
                        return Resolution(self._hub_cache[variant], "hub search", None)
        return Resolution(None, "", self._reason(levels, printed, candidates, instruct, ablation))

    def _reason(self, levels: list[str], printed: str, candidates: list[str], instruct: bool, ablation: bool) -> str:
        deepest = levels[-1] if levels else printed
        if _UNRELEASED.search(printed):
            return f"model '{printed}' is unreleased: no Hugging Face id"
        if _PROPRIETARY.search(deepest):
            return f"model '{printed}' is proprietary: no open weights to evaluate"
        if ablation or _ABLATION_ROW.match(deepest.strip()):
            return f"ablation variant '{printed}' is not a released checkpoint"
        if instruct and any(normalize(c) in _ALIASES or normalize(c) in self.links for c in candidates):
            return (
                f"model '{printed}' is listed as instruction-tuned but its instruct variant has no known "
                "Hugging Face id"
            )
        return f"model '{printed}' has no Hugging Face id"


def _candidates(levels: list[str]) -> list[str]:
    cleaned = [_PARENTHETICAL.sub(" ", level).strip() for level in levels if level.strip()]
    cleaned = [re.sub(r"\s*\b(?:ours|our model)\b\s*$", "", c, flags=re.I).strip() or c for c in cleaned]
    if not cleaned:
        return []
    out = [cleaned[-1], " ".join(cleaned)]
    if len(cleaned) > 2:
        out.append(" ".join(cleaned[-2:]))
    out.extend(levels)
    seen: list[str] = []
    for c in out:
        if c and c not in seen:
            seen.append(c)
    return seen


def _variants(name: str, instruct: bool) -> list[str]:
    if not instruct or _INSTRUCT_NAME.search(name):
        return [name]
    return [f"{name}-Instruct", f"{name}-Chat", f"{name}-it"]
