"""The bundled checkpoint index: services/extractor/data/checkpoints.jsonl and families.json.

A wrong repo id turns into a false published verdict, so these tests hold the data to its schema and
to itself: ids well formed and unique, sizes in the repo names agreeing with the recorded size and
parameter count, one entry per release, proprietary families without checkpoints.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import services.extractor

DATA = Path(services.extractor.__file__).resolve().parent / "data"
CHECKPOINTS = DATA / "checkpoints.jsonl"
FAMILIES = DATA / "families.json"

REQUIRED = {"repo", "family", "version", "size", "params_b", "variant", "qualifier", "released", "arxiv"}
OPTIONAL = {"aliases", "why"}
VARIANTS = {"base", "instruct"}
KINDS = {"open", "proprietary"}
# Sizes written as words in repo names (T5/BERT/Whisper shapes, Phi "mini", DeepSeek "lite", GLM "air", ...).
WORD_SIZES = {
    "tiny", "xsmall", "mini", "small", "base", "medium", "large", "xlarge", "xxlarge",
    "xl", "xxl", "huge", "giant", "lite", "air", "so400m",
}  # fmt: skip
# Families whose checkpoints carry vision/audio towers on top of the language model the name sizes.
MULTIMODAL = {
    "qwen-vl", "qwen-audio", "qwen-omni", "qvq", "paligemma", "janus-pro", "molmo", "llava", "idefics", "blip2",
}  # fmt: skip

HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
REPO_RE = re.compile(rf"{HUB_PART}/{HUB_PART}")
ORG_RE = re.compile(HUB_PART)
FAMILY_RE = re.compile(r"[a-z0-9][a-z0-9.+-]*")
VERSION_RE = re.compile(r"\d+(?:\.\d+)?")
QUALIFIER_RE = re.compile(r"[a-z0-9][a-z0-9.+-]*")
RELEASED_RE = re.compile(r"(\d{4})-(\d{2})")
ARXIV_RE = re.compile(r"(\d{2})(\d{2})\.\d{4,5}")
SIZE_TOKEN_RE = re.compile(r"(?<![a-z0-9.])\d+(?:\.\d+)?[bm](?![a-z0-9])")


def _load_checkpoints() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CHECKPOINTS.read_text(encoding="utf-8").splitlines()]


ENTRIES = _load_checkpoints()
FAMILY_TABLE: dict[str, dict[str, Any]] = json.loads(FAMILIES.read_text(encoding="utf-8"))
WITH_REPO = [e for e in ENTRIES if e["repo"] is not None]


def _norm(text: str) -> str:
    """The matcher's view of a printed name: case and separators do not count."""
    return re.sub(r"[^0-9a-z+]", "", text.lower())


def _repo_name(repo: str) -> str:
    """The repo name, lower-cased, with the underscore-for-a-decimal-point spelling read as a point."""
    name = repo.split("/", 1)[1].lower()
    return re.sub(r"(?<![a-z0-9])(\d+)_(\d+)(?=[bm](?![a-z0-9]))", r"\1.\2", name)


def _has_token(name: str, token: str) -> bool:
    return re.search(rf"(?<![a-z0-9.]){re.escape(token)}(?![a-z0-9])", name) is not None


def _params_range(size: str) -> tuple[float, float] | None:
    """The total parameter count (billions) a numeric size allows, or None for a word size."""
    unit = {"m": 1e-3, "b": 1.0, "t": 1e3}
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)([mbt])", size):
        n = float(m[1]) * unit[m[2]]
        return (0.75 * n, (1.75 if n <= 2 else 1.4) * n)
    if m := re.fullmatch(r"(\d+)b(\d+)", size):  # BLOOM's 1b1, RWKV's 1b5: a point written as "b"
        n = float(f"{m[1]}.{m[2]}")
        return (0.75 * n, 1.4 * n)
    if m := re.fullmatch(r"(\d+)x(\d+(?:\.\d+)?)b", size):  # Mixtral 8x7b: experts share attention
        n = int(m[1]) * float(m[2])
        return (0.6 * n, 1.05 * n)
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)([mb])-a(\d+(?:\.\d+)?)([mb])", size):  # Qwen3 30b-a3b: total first
        n = float(m[1]) * unit[m[2]]
        return (0.75 * n, 1.4 * n)
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)b-(\d+(?:\.\d+)?)b", size):  # OLMoE 1b-7b: active, then total
        n = float(m[2])
        return (0.75 * n, 1.4 * n)
    if m := re.fullmatch(r"a(\d+(?:\.\d+)?)b", size):  # Qwen1.5-MoE a2.7b: active only
        return (float(m[1]), 100 * float(m[1]))
    if m := re.fullmatch(r"(\d+)b-(\d+)e", size):  # Llama 4 17b-16e: active, number of experts
        return (float(m[1]), float(m[1]) * int(m[2]))
    return None


def _release_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    return (entry["family"], entry["version"], entry["size"], entry["variant"], entry["qualifier"])


# ---------------------------------------------------------------- the file itself


def test_every_line_parses_to_an_object_with_the_schema() -> None:
    lines = CHECKPOINTS.read_text(encoding="utf-8").splitlines()
    assert lines, "checkpoints.jsonl is empty"
    for number, line in enumerate(lines, 1):
        assert line.strip() == line and line, f"line {number}: blank or padded"
        entry = json.loads(line)
        assert isinstance(entry, dict), f"line {number}: not an object"
        keys = set(entry)
        assert keys >= REQUIRED, f"line {number}: missing {sorted(REQUIRED - keys)}"
        assert keys <= REQUIRED | OPTIONAL, f"line {number}: unknown {sorted(keys - REQUIRED - OPTIONAL)}"


def test_at_least_550_entries_have_a_repo() -> None:
    assert len(WITH_REPO) >= 550


def test_field_types() -> None:
    for e in ENTRIES:
        where = e["repo"] or f"{e['family']} {e['version']} {e['size']} (no repo)"
        assert e["repo"] is None or isinstance(e["repo"], str), where
        assert isinstance(e["family"], str), where
        assert e["version"] is None or (isinstance(e["version"], str) and VERSION_RE.fullmatch(e["version"])), where
        assert e["size"] is None or (isinstance(e["size"], str) and e["size"] == e["size"].lower()), where
        if e["repo"] is not None:
            assert isinstance(e["params_b"], int | float) and not isinstance(e["params_b"], bool), where
        assert e["params_b"] is None or e["params_b"] > 0, where
        qualifier = e["qualifier"]
        assert qualifier is None or (isinstance(qualifier, str) and QUALIFIER_RE.fullmatch(qualifier)), where
        assert isinstance(e["arxiv"], list), where
        if "aliases" in e:
            assert e["aliases"] and all(isinstance(a, str) and a.strip() == a and a for a in e["aliases"]), where


def test_repo_ids_are_well_formed_hub_ids() -> None:
    for repo in (e["repo"] for e in WITH_REPO):
        assert REPO_RE.fullmatch(repo), repo
        assert not re.search(r"\s", repo), repo
        assert "--" not in repo and ".." not in repo and not repo.endswith(".git"), repo
        assert len(repo.split("/", 1)[1]) <= 96, repo


def test_repo_ids_are_unique_even_ignoring_case() -> None:
    # The Hub resolves ids case-insensitively, so two spellings of one id are one repo listed twice.
    counts = Counter(e["repo"].lower() for e in WITH_REPO)
    assert [repo for repo, n in counts.items() if n > 1] == []


def test_entries_without_a_repo_say_why_and_others_do_not() -> None:
    for e in ENTRIES:
        if e["repo"] is None:
            assert isinstance(e.get("why"), str) and len(e["why"]) > 20, e
        else:
            assert "why" not in e, e["repo"]


def test_every_family_is_a_known_lowercase_key() -> None:
    for e in ENTRIES:
        assert FAMILY_RE.fullmatch(e["family"]), e["family"]
        assert e["family"] in FAMILY_TABLE, f"{e['family']} (from {e['repo']}) is not in families.json"


def test_variant_is_base_or_instruct() -> None:
    assert {e["variant"] for e in ENTRIES} <= VARIANTS


def test_one_entry_per_release() -> None:
    counts = Counter(_release_key(e) for e in ENTRIES)
    assert [key for key, n in counts.items() if n > 1] == []


def test_released_is_a_plausible_year_month() -> None:
    for e in ENTRIES:
        m = RELEASED_RE.fullmatch(e["released"] or "")
        assert m, (e["repo"], e["released"])
        assert 2018 <= int(m[1]) <= 2026 and 1 <= int(m[2]) <= 12, (e["repo"], e["released"])


def test_arxiv_ids_are_well_formed_and_not_after_the_release_by_years() -> None:
    for e in ENTRIES:
        assert len(set(e["arxiv"])) == len(e["arxiv"]), e["repo"]
        for arxiv_id in e["arxiv"]:
            m = ARXIV_RE.fullmatch(arxiv_id)
            assert m, (e["repo"], arxiv_id)
            year, month = 2000 + int(m[1]), int(m[2])
            assert 1 <= month <= 12 and 2017 <= year <= 2026, (e["repo"], arxiv_id)
            released = RELEASED_RE.fullmatch(e["released"])
            assert released is not None
            # Papers come out at most a couple of years before or after the checkpoint they describe.
            gap_months = (year - int(released[1])) * 12 + month - int(released[2])
            assert -30 <= gap_months <= 30, (e["repo"], arxiv_id, e["released"])


# ---------------------------------------------------------------- sizes and parameter counts


def test_size_is_spelled_as_in_the_repo_name() -> None:
    for e in WITH_REPO:
        name = _repo_name(e["repo"])
        if e["size"] is None:
            assert not SIZE_TOKEN_RE.search(name), f"{e['repo']}: the name carries a size but size is null"
        else:
            assert _has_token(name, e["size"]), f"{e['repo']}: size {e['size']!r} is not in the name"


def test_size_is_numeric_or_a_known_word() -> None:
    for e in ENTRIES:
        if e["size"] is not None:
            assert _params_range(e["size"]) is not None or e["size"] in WORD_SIZES, (e["repo"], e["size"])


def test_params_agree_with_the_size() -> None:
    for e in ENTRIES:
        if e["size"] is None or e["params_b"] is None or (allowed := _params_range(e["size"])) is None:
            continue
        low, high = allowed
        if e["family"] in MULTIMODAL:
            high = max(high, 2.2 * low / 0.75)
        assert low <= e["params_b"] <= high, f"{e['repo']}: size {e['size']} but params_b {e['params_b']}"


@pytest.mark.parametrize(
    ("size", "params", "ok"),
    [
        ("7b", 6.74, True),
        ("7b", 69.0, False),
        ("7b", 0.7, False),
        ("135m", 0.135, True),
        ("135m", 135, False),
        ("8x7b", 46.7, True),
        ("8x7b", 7.0, False),
        ("1b1", 1.07, True),
        ("30b-a3b", 30.5, True),
        ("30b-a3b", 3.0, False),
        ("1b-7b", 6.92, True),
        ("1b-7b", 1.2, False),
        ("17b-16e", 109, True),
        ("17b-16e", 8, False),
    ],
)
def test_params_range_rejects_the_mistakes_it_is_for(size: str, params: float, ok: bool) -> None:
    allowed = _params_range(size)
    assert allowed is not None
    assert (allowed[0] <= params <= allowed[1]) is ok


# ---------------------------------------------------------------- families.json


def test_family_table_schema() -> None:
    for key, family in FAMILY_TABLE.items():
        assert FAMILY_RE.fullmatch(key), key
        assert family.get("kind") in KINDS, key
        names = family.get("names")
        assert isinstance(names, list) and names, key
        assert all(isinstance(n, str) and n.strip() == n and n for n in names), key
        assert set(family) <= {"names", "kind", "org", "orgs", "unversioned", "why"}, key
        if family["kind"] == "proprietary":
            assert isinstance(family.get("why"), str) and family["why"], key
            assert "org" not in family and "unversioned" not in family, key
        else:
            assert "why" not in family, key
            assert ORG_RE.fullmatch(family.get("org", "")), key
            assert all(ORG_RE.fullmatch(o) for o in family.get("orgs", [])), key
            if "unversioned" in family:
                assert VERSION_RE.fullmatch(family["unversioned"]), key


def test_proprietary_families_have_no_checkpoints() -> None:
    proprietary = {k for k, f in FAMILY_TABLE.items() if f["kind"] == "proprietary"}
    assert {"gpt-4", "gpt-3.5", "claude", "gemini", "palm"} <= proprietary
    assert [e["repo"] for e in ENTRIES if e["family"] in proprietary] == []


def test_every_open_family_has_an_entry() -> None:
    used = {e["family"] for e in ENTRIES}
    assert [k for k, f in FAMILY_TABLE.items() if f["kind"] == "open" and k not in used] == []


def test_repos_live_in_their_familys_namespace() -> None:
    for e in WITH_REPO:
        family = FAMILY_TABLE[e["family"]]
        allowed = {family["org"], *family.get("orgs", [])}
        assert e["repo"].split("/", 1)[0] in allowed, f"{e['repo']} is outside {sorted(allowed)}"


def test_unversioned_is_the_version_null_generation() -> None:
    for key, family in FAMILY_TABLE.items():
        if "unversioned" not in family:
            continue
        versions = {e["version"] for e in ENTRIES if e["family"] == key}
        assert None in versions, f"{key}: unversioned given but no version-null entry"
        assert family["unversioned"] not in versions, f"{key}: version {family['unversioned']} is written as null"


def test_family_names_are_unambiguous() -> None:
    owners: dict[str, str] = {}
    for key, family in FAMILY_TABLE.items():
        for name in family["names"]:
            assert _norm(name), (key, name)
            assert owners.setdefault(_norm(name), key) == key, f"{name!r} names both {owners[_norm(name)]} and {key}"


def test_aliases_are_unique_and_do_not_shadow_family_names() -> None:
    family_names = {_norm(n) for f in FAMILY_TABLE.values() for n in f["names"]}
    seen: dict[str, str | None] = {}
    for e in ENTRIES:
        for alias in e.get("aliases", []):
            key = _norm(alias)
            assert key not in family_names, f"alias {alias!r} of {e['repo']} is a bare family name"
            assert key not in seen, f"alias {alias!r} given to {seen[key]} and {e['repo']}"
            seen[key] = e["repo"]


def test_file_is_grouped_by_family_in_table_order() -> None:
    order = {key: i for i, key in enumerate(FAMILY_TABLE)}
    runs = [e["family"] for i, e in enumerate(ENTRIES) if i == 0 or ENTRIES[i - 1]["family"] != e["family"]]
    assert len(runs) == len(set(runs)), "a family's entries are split across the file"
    assert runs == sorted(runs, key=order.__getitem__), "families are not in families.json order"


@pytest.mark.parametrize(
    ("repo", "family", "version", "size", "variant", "qualifier"),
    [
        ("meta-llama/Llama-2-7b-hf", "llama", "2", "7b", "base", None),
        ("meta-llama/Llama-2-13b-chat-hf", "llama", "2", "13b", "instruct", None),
        ("Qwen/Qwen2.5-32B", "qwen", "2.5", "32b", "base", None),
        ("google/gemma-2-9b", "gemma", "2", "9b", "base", None),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral", None, "8x7b", "instruct", "v0.1"),
        ("mistralai/Mistral-7B-v0.1", "mistral", None, "7b", "base", "v0.1"),
        ("allenai/OLMo-7B-0424-hf", "olmo", "1.7", "7b", "base", "0424"),
        ("allenai/OLMo-7B-hf", "olmo", None, "7b", "base", None),
        ("allenai/OLMo-2-1124-7B", "olmo", "2", "7b", "base", "1124"),
        ("microsoft/phi-1_5", "phi", "1.5", None, "base", None),
        ("HuggingFaceTB/SmolLM2-1.7B-Instruct", "smollm", "2", "1.7b", "instruct", None),
        ("state-spaces/mamba-130m-hf", "mamba", None, "130m", "base", None),
    ],
)
def test_spot_checks(
    repo: str, family: str, version: str | None, size: str | None, variant: str, qualifier: str | None
) -> None:
    by_repo = {e["repo"]: e for e in WITH_REPO}
    assert repo in by_repo
    assert _release_key(by_repo[repo]) == (family, version, size, variant, qualifier)


def test_first_llama_generation_is_listed_without_a_repo() -> None:
    llama1 = [e for e in ENTRIES if e["family"] == "llama" and e["version"] is None]
    assert {e["size"] for e in llama1} == {"7b", "13b", "33b", "65b"}
    assert all(e["repo"] is None and e["why"] for e in llama1)
