"""Model names -> Hugging Face ids: links, alias table, instruct captions, reasons, Hub search."""

from __future__ import annotations

import httpx
import pytest

from services.extractor.models import (
    HubSearchClient,
    ModelResolver,
    collect_links,
    links_in,
    normalize,
)


@pytest.mark.parametrize(
    ("printed", "repo"),
    [
        ("SmolLM2-1.7B", "HuggingFaceTB/SmolLM2-1.7B"),
        ("Llama 3.2 1B", "meta-llama/Llama-3.2-1B"),
        ("LLaMA-3.2-1B", "meta-llama/Llama-3.2-1B"),
        ("Qwen2.5-1.5B", "Qwen/Qwen2.5-1.5B"),
        ("Mistral-7B", "mistralai/Mistral-7B-v0.1"),
        ("SmolLM2-1.7B (ours)", "HuggingFaceTB/SmolLM2-1.7B"),
        ("Llama-2-7B", "meta-llama/Llama-2-7b-hf"),
        ("Gemma-7B-it", "google/gemma-7b-it"),
    ],
)
def test_alias_table_resolves_printed_spellings(printed: str, repo: str) -> None:
    assert ModelResolver().resolve([printed]).model_id == repo


def test_instruction_tuned_context_picks_the_instruct_repo() -> None:
    resolver = ModelResolver()
    assert resolver.resolve(["SmolLM2-1.7B"], instruct=True).model_id == "HuggingFaceTB/SmolLM2-1.7B-Instruct"
    assert resolver.resolve(["Llama-2-7B"], instruct=True).model_id == "meta-llama/Llama-2-7b-chat-hf"
    assert resolver.resolve(["SmolLM2-1.7B-Instruct"], instruct=True).model_id == "HuggingFaceTB/SmolLM2-1.7B-Instruct"
    unknown = resolver.resolve(["Pythia-1B"], instruct=True)
    assert unknown.model_id is None and "instruct variant" in unknown.reason


def test_multi_level_labels_and_sizes_combine() -> None:
    resolver = ModelResolver()
    assert resolver.resolve(["Llama 3.2", "1B"]).model_id == "meta-llama/Llama-3.2-1B"
    assert resolver.resolve(["Base models", "Qwen2.5-0.5B"]).model_id == "Qwen/Qwen2.5-0.5B"


def test_links_in_the_paper_and_in_the_cell() -> None:
    tex = (
        "We release \\href{https://huggingface.co/paperverdict-fixtures/tiny-llama}{TinyFixture} "
        "and \\url{https://huggingface.co/acme/Acme-LM-1B}. Data: https://huggingface.co/datasets/x/y."
    )
    links = collect_links([tex])
    assert links == {
        "tinyllama": "paperverdict-fixtures/tiny-llama",
        "tinyfixture": "paperverdict-fixtures/tiny-llama",
        "acmelm1b": "acme/Acme-LM-1B",
    }
    resolver = ModelResolver(links)
    assert resolver.resolve(["tiny-llama"]).model_id == "paperverdict-fixtures/tiny-llama"
    assert resolver.resolve(["TinyFixture"]).source == "link in paper"
    cell = "Ours\\footnote{\\url{https://huggingface.co/org/model-x}}"
    assert resolver.resolve(["Ours"], cell_links=links_in(cell)).model_id == "org/model-x"


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("OurModel-7B (unreleased)", "is unreleased"),
        ("GPT-4o-mini", "is proprietary"),
        ("Claude 3", "is proprietary"),
        ("w/o DCLM", "ablation variant"),
        ("+ FineMath", "ablation variant"),
        ("Mystery-3B", "has no Hugging Face id"),
    ],
)
def test_unresolved_models_say_why(label: str, reason: str) -> None:
    resolution = ModelResolver().resolve([label])
    assert resolution.model_id is None and reason in resolution.reason and label in resolution.reason


def test_looks_like_model() -> None:
    resolver = ModelResolver()
    assert all(resolver.looks_like_model(x) for x in ("SmolLM2-1.7B", "Llama 3.2", "1B", "OurModel-7B", "GPT-3.5"))
    assert not any(resolver.looks_like_model(x) for x in ("HellaSwag", "Average", "GSM8K (5-shot)", "Layers", "Random"))
    assert normalize("Llama-2-7b-hf") == normalize("llama 2 7B")


def hub(handler) -> HubSearchClient:
    return HubSearchClient(httpx.Client(transport=httpx.MockTransport(handler)))


def test_hub_search_client_takes_only_an_exact_name_match() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/models" and request.url.params["search"] == "Zeta-2B"
        return httpx.Response(200, json=[{"id": "someone/Zeta-2B-GGUF"}, {"id": "zeta-ai/zeta-2b"}])

    assert hub(handler).search("Zeta-2B") == "zeta-ai/zeta-2b"
    resolver = ModelResolver(hub=hub(handler))
    assert resolver.resolve(["Zeta-2B"]).source == "hub search"


def test_hub_search_failures_resolve_to_none() -> None:
    assert hub(lambda r: httpx.Response(500)).search("Zeta-2B") is None
    assert hub(lambda r: httpx.Response(200, json=[{"id": "x/other"}])).search("Zeta-2B") is None
    assert hub(lambda r: httpx.Response(200, text="not json")).search("Zeta-2B") is None
