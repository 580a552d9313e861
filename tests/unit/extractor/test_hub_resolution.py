"""The online step: names nothing offline decided, asked of the Hub once each, checked, cached; an
unreachable Hub leaves them unresolved with that reason and raises nothing."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.extractor.extract import PaperSources, extract
from services.extractor.hub_resolution import HubResolver, cache_key
from shared.models import Claim

TEX = r"""\documentclass{article}
\begin{document}
\begin{table}
\caption{Zero-shot accuracy.}
\begin{tabular}{lcc}
Model & HellaSwag & ARC-e \\
Zeta-LM-2B & 61.2 & 31.0 \\
Omega-3B & 55.0 & 40.1 \\
Qwen2.5-7B + Ours & 70.0 & 80.0 \\
\end{tabular}
\end{table}
\end{document}
"""


@dataclass(frozen=True)
class Model:
    repo: str
    params_b: float | None = 2.0
    causal_lm: bool = True
    safetensors: bool = True


class Down(Exception):
    pass


@dataclass
class FakeHub:
    tagged: list[Model] = field(default_factory=list)
    found: dict[str, list[Model]] = field(default_factory=dict)
    down: bool = False
    calls: list[str] = field(default_factory=list)

    def paper_models(self, arxiv_id: str, limit: int = 100) -> list[Model]:
        self.calls.append(f"paper:{arxiv_id}")
        if self.down:
            raise Down("connection refused")
        return self.tagged

    def search(self, query: str, limit: int = 20) -> list[Model]:
        self.calls.append(f"search:{query}")
        return self.found.get(query, [])

    def info(self, repo: str) -> Model | None:
        self.calls.append(f"info:{repo}")
        return next((m for ms in self.found.values() for m in ms if m.repo == repo), None)


@dataclass
class MemoryStore:
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def get(self, key: str) -> dict[str, Any] | None:
        return self.values.get(key)

    async def put(self, key: str, value: dict[str, Any]) -> None:
        self.values[key] = value


def reject(model: Model, size_b: float | None, want_instruct: bool | None) -> str | None:
    if not model.safetensors:
        return "no safetensors weights"
    if size_b and model.params_b and abs(model.params_b - size_b) / size_b > 0.15:
        return f"{model.params_b}B parameters, the paper prints {size_b}B"
    return None


def claims() -> list[Claim]:
    return extract(PaperSources("2507.00001", 1, gzip.compress(TEX.encode()), None)).claims


def by_model(out: list[Claim]) -> dict[str, list[Claim]]:
    found: dict[str, list[Claim]] = {}
    for c in out:
        found.setdefault(c.model_label, []).append(c)
    return found


async def test_the_papers_tagged_model_then_an_exact_search_hit_each_checked_and_asked_once() -> None:
    hub = FakeHub(
        tagged=[Model("zeta/Zeta-LM-2B", 2.1)],
        found={"Omega-3B": [Model("omega-ai/Omega-3B", 3.0), Model("someone/Omega-3B-GGUF", 3.0)]},
    )
    store = MemoryStore()
    resolver = HubResolver(hub, store, unavailable=Down, reject=reject)
    out = by_model(await resolver.resolve("2507.00001", claims()))
    zeta, omega = out["Zeta-LM-2B"], out["Omega-3B"]
    assert {c.model_id for c in zeta} == {"zeta/Zeta-LM-2B"} and all(c.measurable for c in zeta)
    assert zeta[0].model_resolution.source == "hub: the paper's own model (arxiv tag)"
    assert {c.model_id for c in omega} == {"omega-ai/Omega-3B"}
    assert omega[0].model_resolution.source == "hub search" and "checked" in omega[0].model_resolution.evidence
    assert all(c.model_id is None for c in out["Qwen2.5-7B + Ours"])  # a variant: never asked
    assert hub.calls.count("paper:2507.00001") == 1 and hub.calls.count("search:Omega-3B") == 1
    assert cache_key("Omega-3B", False, "2507.00001") in store.values
    hub.calls.clear()
    again = by_model(await resolver.resolve("2507.00001", claims()))
    assert hub.calls == [] and {c.model_id for c in again["Omega-3B"]} == {"omega-ai/Omega-3B"}


async def test_a_candidate_that_fails_its_check_is_not_used() -> None:
    hub = FakeHub(found={"Omega-3B": [Model("omega-ai/Omega-3B", 7.0)]})
    out = by_model(
        await HubResolver(hub, MemoryStore(), unavailable=Down, reject=reject).resolve("2507.00001", claims())
    )
    omega = out["Omega-3B"]
    assert all(c.model_id is None and not c.measurable for c in omega)
    assert "Hub candidate omega-ai/Omega-3B rejected: 7.0B parameters" in omega[0].unmeasurable_reason


async def test_an_unreachable_hub_leaves_names_unresolved_with_the_reason_and_caches_nothing() -> None:
    hub = FakeHub(down=True)
    store = MemoryStore()
    out = by_model(await HubResolver(hub, store, unavailable=Down, reject=reject).resolve("2507.00001", claims()))
    zeta = out["Zeta-LM-2B"][0]
    assert zeta.model_id is None and "could not be reached (connection refused)" in zeta.unmeasurable_reason
    assert store.values == {}


@pytest.mark.parametrize("name", ["Omega-3B"])
def test_cache_keys_ignore_spelling_but_not_context(name: str) -> None:
    assert cache_key(name, False, "2501.00001") == cache_key("omega 3b", False, "2501.00001")
    assert cache_key(name, True, "2501.00001") != cache_key(name, False, "2501.00001")
