"""A printed model name read as the fields a checkpoint is known by: family, version, size, variant,
release qualifier. Every word of the name must be placed; a word that is not ("Distill", "+ Diag.",
"Chinese", "Init") means the paper names something other than the released checkpoint.

"Qwen 2.5 / 32B" -> qwen, 2.5, 32b; "Llama 2-Chat 13B" -> llama, 2, 13b, instruct; "OLMo 7B 0424" ->
olmo, 7b, qualifier 0424; "Mixtral 8x7B" -> mixtral, 8x7b. Pure functions of text and the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.extractor.checkpoints import CheckpointIndex, Family

_SIZE = re.compile(r"^(?:(\d+)x)?(\d+(?:\.\d+)?)([bmkt])$")
_SIZE_WORDS = frozenset(
    {"mini", "small", "medium", "large", "xl", "xxl", "xlarge", "tiny", "nano", "lite", "huge", "giant"}
)
_INSTRUCT = frozenset({"instruct", "chat", "it", "sft", "dpo", "rlhf", "instruction", "tuned", "rl"})
_STAGES = frozenset({"sft", "dpo", "rl"})  # a post-training stage released beside the final model: a qualifier
_GREEK = frozenset({"alpha", "beta", "gamma"})
_THINKING = frozenset({"think", "thinking"})
_ACTIVE = re.compile(r"^a\d+(?:\.\d+)?b$")  # "30B-A3B": the active parameters of a mixture of experts
_BASE = frozenset({"base", "pretrained", "pt"})
_NOISE = frozenset({"hf", "model", "models", "official", "reported", "llm", "lm", "the", "original", "release"})
_OURS = frozenset({"ours", "our"})
_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)$")
_DATE = re.compile(r"^(?:0[1-9]|1[0-2])(?:2[2-9])$|^2[2-9](?:0[1-9]|1[0-2])$")  # 0424, 1124 / 2410, 2501
_MARKS = re.compile(r"[*†‡§¶⋆↑↓✓✗]+|\\[a-z]+")
_PAREN = re.compile(r"[\(\[]([^()\[\]]*)[\)\]]")


@dataclass(frozen=True)
class PrintedModel:
    text: str
    family: Family | None
    version: str | None = None
    size: str | None = None  # "7b", "8x7b", "mini"
    size_b: float | None = None  # the size in billions, when numeric
    size_alt: str | None = None  # a second printed size ("OLMo-1B (1.2B)": the name's and the real count)
    variant: str | None = None  # "base" / "instruct" when the name says so
    qualifier: str | None = None
    ours: bool = False
    unexplained: tuple[str, ...] = ()
    before: tuple[str, ...] = field(default=())  # words before the family name


def size_in_billions(size: str) -> float | None:
    m = _SIZE.match(size.lower())
    if not m:
        return None
    experts, number, unit = m.groups()
    value = float(number) * {"b": 1.0, "m": 1e-3, "k": 1e-6, "t": 1e3}[unit]
    return value * int(experts) if experts else value


def _tokens(text: str) -> list[str]:
    text = text.lower().replace("‐", "-").replace("–", "-").replace("—", "-")
    text = re.sub(r"(\d)\s+([bm])\b", r"\1\2", text)  # "7 B" -> "7b"
    # "mistral7b" -> "mistral 7b"; not "8x7b", nor "30b-a3b" (active parameters)
    text = re.sub(r"(?<=[a-z])(?<!\dx)(?<![\s\-_/]a)(?=\d+(?:\.\d+)?[bm]\b)", " ", text)
    return [t for t in re.split(r"[\s\-_/,:;&+|]+", text) if t]


def parse_model_name(text: str, index: CheckpointIndex) -> PrintedModel:
    """Read `text` ("Qwen2.5-14B-Instruct", "LLaMA-2 / 13B", "Phi-2 (2B)") against the index's families."""
    clean = _MARKS.sub(" ", text)
    inner: list[str] = []

    def keep(m: re.Match[str]) -> str:
        inner.append(m.group(1))
        return " "

    outer = _PAREN.sub(keep, clean)
    low = outer.lower()
    m = index.family_pattern.search(low)
    if m is None:  # no family we know: still read the size and variant (a Hub candidate is checked against them)
        loose: dict[str, str] = {}
        rest_words: list[str] = []
        for token in _tokens(outer) + [t for part in inner for t in _tokens(part)]:
            _place(token, loose, rest_words)
        size = loose.get("size")
        return PrintedModel(
            text,
            None,
            size=size,
            size_b=size_in_billions(size) if size else None,
            variant=loose.get("variant"),
            unexplained=tuple(_tokens(outer)),
        )
    family = index.family_named(m.group(1))
    before = tuple(t for t in _tokens(low[: m.start()]) if t not in _NOISE)
    rest = low[m.end() :]
    glued = re.match(r"^(\d+(?:\.\d+)?)(?![\d.]*[bmkt]\b)", rest)  # "qwen2.5-7b", "llama3"
    tokens = _tokens(rest[glued.end() :] if glued else rest)
    fields: dict[str, str] = {}
    if glued:
        fields["version"] = glued.group(1)
    unexplained: list[str] = [w for w in before if w not in _OURS]  # "data: DCLM-baseline", "Fine-tuned Llama"
    ours = any(w in _OURS for w in before)
    for token in tokens + [t for part in inner for t in _tokens(part)]:
        _place(token, fields, unexplained)
        ours = ours or token in _OURS
    family, unexplained = _sub_family(family, m.group(1), unexplained, index)
    size = fields.get("size")
    version = fields.get("version")
    if version is not None and family.unversioned is not None and version == family.unversioned:
        version = None
    return PrintedModel(
        text=text,
        family=family,
        version=version,
        size=size,
        size_b=size_in_billions(size) if size else None,
        size_alt=fields.get("size_alt"),
        variant=fields.get("variant"),
        qualifier=fields.get("qualifier"),
        ours=ours,
        unexplained=tuple(unexplained),
        before=before,
    )


def _sub_family(
    family: Family, matched: str, unexplained: list[str], index: CheckpointIndex
) -> tuple[Family, list[str]]:
    """ "Qwen2.5-VL-7B", "Qwen QwQ 32B": a word the family's name cannot place that, with the brand or alone,
    names another family of the index (qwen-vl, qwq) is that family's name."""
    for word in unexplained:
        for name in (f"{matched} {word}", word):
            other = index.family_by_name(name)
            if other is not None and other.key != family.key:
                return other, [w for w in unexplained if w != word]
    return family, unexplained


def _place(token: str, fields: dict[str, str], unexplained: list[str]) -> None:
    if token in _NOISE or token in _OURS or token in {".", "-"}:
        return
    if re.fullmatch(r"\d+(?:\.\d+)?t", token):  # "0.28T": a token count tells a training run apart; we cannot
        unexplained.append(token)
        return
    if _SIZE.match(token) or token in _SIZE_WORDS:
        if "size" not in fields:
            fields["size"] = token
        elif fields["size"] != token and size_in_billions(token) != size_in_billions(fields["size"]):
            fields.setdefault("size_alt", token)  # "OLMo-1B (1.2B)": the name's size and the real count
        return
    if _ACTIVE.match(token) and "size" in fields and "-" not in fields["size"]:
        fields["size"] = f"{fields['size']}-{token}"
        return
    if token in _INSTRUCT or token in _BASE:
        variant = "instruct" if token in _INSTRUCT else "base"
        if fields.get("variant", variant) != variant:
            unexplained.append(token)
        fields["variant"] = variant
        if token in _STAGES:
            fields.setdefault("qualifier", token)
        return
    if token in _GREEK:
        fields.setdefault("qualifier", token)
        return
    if token in _THINKING:  # "Qwen 3 VL 32B Think": the reasoning release beside the instruct one
        fields["variant"] = "instruct"
        fields.setdefault("qualifier", "thinking")
        return
    if _DATE.match(token) and "size" in fields:
        fields.setdefault("qualifier", token)
        return
    version = _VERSION.match(token)
    if version:
        if token.startswith("v"):
            fields.setdefault("qualifier", token)
        elif "version" not in fields and "size" not in fields:
            fields["version"] = version.group(1)
        elif _DATE.match(token):
            fields.setdefault("qualifier", token)
        else:
            unexplained.append(token)
        return
    unexplained.append(token)
