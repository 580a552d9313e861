"""The online model-name step end to end with the real huggingface_hub client against the local
Hub-compatible server: a model only the Hub knows (tagged with the paper's arXiv id) becomes the claim's
checked repo; a Hub that stops answering leaves the claim unresolved with that reason, raising nothing."""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.extractor.adapters import InMemoryResolutionCache
from services.extractor.extract import PaperSources, extract
from services.extractor.hub import HubClient, HubUnavailable, reject_reason
from services.extractor.hub_resolution import HubResolver
from tests.servers import hub_server_module

ARXIV = "2611.00077"
TEX = r"""\documentclass{article}
\begin{document}
\begin{table}
\caption{Zero-shot accuracy of our released models.}
\begin{tabular}{lcc}
Model & HellaSwag & ARC-e \\
Acme-LM-2B & 61.2 & 31.0 \\
Acme-LM-2B + RLFoo & 63.0 & 33.3 \\
\end{tabular}
\end{table}
\end{document}
"""


@pytest.fixture
def acme_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, object]]:
    """A Hub holding one model the bundled index does not know, tagged with the paper's arXiv id."""
    yield from serve_acme(tmp_path, monkeypatch)


@pytest.fixture
def remote_code_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, object]]:
    """The same, but its architecture exists only as the repository's code."""
    config = {"architectures": ["AcmeLMHeadModel"], "model_type": "acme", "auto_map": {"AutoConfig": "c.AcmeConfig"}}
    yield from serve_acme(tmp_path, monkeypatch, config)


def serve_acme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: dict | None = None
) -> Iterator[tuple[str, object]]:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    real = json.loads((hub_server_module.DEFAULT_MODELS / "HuggingFaceTB--SmolLM2-135M.json").read_text())
    info = copy.deepcopy(real)
    info.update(id="acme-research/Acme-LM-2B", modelId="acme-research/Acme-LM-2B", author="acme-research")
    if config is not None:
        info["config"] = config
    info["tags"] = [t for t in info["tags"] if not t.startswith("arxiv:")] + [f"arxiv:{ARXIV}"]
    info["safetensors"] = {"parameters": {"BF16": 2_050_000_000}, "total": 2_050_000_000}
    (tmp_path / "acme-research--Acme-LM-2B.json").write_text(json.dumps(info))
    faults = hub_server_module.Faults()
    server = hub_server_module.serve("127.0.0.1", 0, tmp_path, faults)
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}", faults
    finally:
        server.shutdown()


def claims() -> list:
    return extract(PaperSources(ARXIV, 1, gzip.compress(TEX.encode()), None)).claims


async def test_a_model_only_the_hub_knows_resolves_from_the_papers_tag_and_is_cached(acme_hub) -> None:
    endpoint, _ = acme_hub
    offline = claims()
    plain = [c for c in offline if c.model_label == "Acme-LM-2B"]
    assert plain and all(c.model_id is None and not c.measurable for c in plain)  # the index does not know it
    cache = InMemoryResolutionCache()
    resolver = HubResolver(HubClient(endpoint, None, 5.0), cache, unavailable=HubUnavailable, reject=reject_reason)
    online = await resolver.resolve(ARXIV, offline)
    acme = [c for c in online if c.model_label == "Acme-LM-2B"]
    assert {c.model_id for c in acme} == {"acme-research/Acme-LM-2B"} and all(c.measurable for c in acme)
    assert acme[0].model_resolution.source == "hub: the paper's own model (arxiv tag)"
    assert "2.05B parameters; checked" in acme[0].model_resolution.evidence
    variant = [c for c in online if c.model_label.startswith("Acme-LM-2B +")]
    assert variant and all(c.model_id is None for c in variant)  # the paper's variant is never asked for
    assert len(cache.documents) == 1
    # a second paper version asks nothing: the answer comes from the cache
    dead = HubResolver(
        HubClient("http://127.0.0.1:9", None, 2.0), cache, unavailable=HubUnavailable, reject=reject_reason
    )
    again = await dead.resolve(ARXIV, claims())
    assert {c.model_id for c in again if c.model_label == "Acme-LM-2B"} == {"acme-research/Acme-LM-2B"}


async def test_a_hub_that_does_not_answer_leaves_the_claim_unresolved_with_the_reason(acme_hub) -> None:
    endpoint, faults = acme_hub
    faults.set(100, status=503)
    cache = InMemoryResolutionCache()
    resolver = HubResolver(HubClient(endpoint, None, 3.0), cache, unavailable=HubUnavailable, reject=reject_reason)
    online = await resolver.resolve(ARXIV, claims())
    acme = [c for c in online if c.model_label == "Acme-LM-2B"]
    assert all(c.model_id is None and not c.measurable for c in acme)
    assert "the Hugging Face Hub could not be reached" in acme[0].unmeasurable_reason
    assert cache.documents == {}  # an outage is not an answer: asked again next time


async def test_a_tagged_model_that_only_its_own_code_runs_is_never_named(remote_code_hub) -> None:
    """The paper's own model, but the Hub's config names remote code for a model type transformers does
    not implement: the claim stays unresolved with that reason instead of failing in the evaluator."""
    endpoint, _ = remote_code_hub
    cache = InMemoryResolutionCache()
    resolver = HubResolver(HubClient(endpoint, None, 5.0), cache, unavailable=HubUnavailable, reject=reject_reason)
    online = await resolver.resolve(ARXIV, claims())
    acme = [c for c in online if c.model_label == "Acme-LM-2B"]
    assert acme and all(c.model_id is None and not c.measurable for c in acme)
    assert "Hub candidate acme-research/Acme-LM-2B rejected: config.json names remote code (auto_map) for " in (
        acme[0].unmeasurable_reason or ""
    )
