"""Model names -> Hugging Face ids: ranked sources, precision rules, reasons, word boundaries.

A small index written here keeps these tests about the resolver's rules; test_model_index.py checks the
same rules against the bundled index on the names the issue and real papers print."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.extractor.checkpoints import CheckpointIndex
from services.extractor.model_names import parse_model_name
from services.extractor.models import ModelResolver, collect_links, links_in

FAMILIES = {
    "llama": {"names": ["LLaMA", "Llama", "Meta-Llama"], "kind": "open", "org": "meta-llama", "unversioned": "1"},
    "codellama": {"names": ["Code Llama", "CodeLlama"], "kind": "open", "org": "codellama"},
    "qwen": {"names": ["Qwen"], "kind": "open", "org": "Qwen"},
    "mistral": {"names": ["Mistral"], "kind": "open", "org": "mistralai"},
    "gemma": {"names": ["Gemma"], "kind": "open", "org": "google"},
    "olmo": {"names": ["OLMo"], "kind": "open", "org": "allenai"},
    "mamba": {"names": ["Mamba"], "kind": "open", "org": "state-spaces"},
    "gpt-4": {"names": ["GPT-4", "GPT4"], "kind": "proprietary", "why": "OpenAI API model"},
}


def _entry(repo: str | None, family: str, version: str | None, size: str | None, params: float, variant: str, **kw):
    return {
        "repo": repo,
        "family": family,
        "version": version,
        "size": size,
        "params_b": params,
        "variant": variant,
        "qualifier": kw.get("qualifier"),
        "released": kw.get("released", "2023-01"),
        "arxiv": kw.get("arxiv", []),
        **({"why": kw["why"]} if "why" in kw else {}),
        **({"aliases": kw["aliases"]} if "aliases" in kw else {}),
    }


CHECKPOINTS = [
    _entry("meta-llama/Llama-2-7b-hf", "llama", "2", "7b", 6.74, "base", released="2023-07", arxiv=["2307.09288"]),
    _entry("meta-llama/Llama-2-7b-chat-hf", "llama", "2", "7b", 6.74, "instruct", released="2023-07"),
    _entry("meta-llama/Meta-Llama-3-8B", "llama", "3", "8b", 8.03, "base", released="2024-04"),
    _entry("meta-llama/Meta-Llama-3-70B", "llama", "3", "70b", 70.6, "base", released="2024-04"),
    _entry(None, "llama", None, "7b", 6.7, "base", released="2023-02", why="Meta shared LLaMA weights by request"),
    _entry("Qwen/Qwen2.5-32B", "qwen", "2.5", "32b", 32.8, "base", released="2024-09"),
    _entry("Qwen/Qwen2.5-32B-Instruct", "qwen", "2.5", "32b", 32.8, "instruct", released="2024-09"),
    _entry("mistralai/Mistral-7B-v0.1", "mistral", None, "7b", 7.24, "base", qualifier="v0.1", released="2023-09"),
    _entry("mistralai/Mistral-7B-v0.3", "mistral", None, "7b", 7.25, "base", qualifier="v0.3", released="2024-05"),
    _entry("google/gemma-2-2b", "gemma", "2", "2b", 2.61, "base", released="2024-07"),
    _entry("google/gemma-3-1b-it", "gemma", "3", "1b", 1.0, "instruct", released="2025-03"),
    _entry("allenai/OLMo-7B-hf", "olmo", None, "7b", 6.89, "base", released="2024-02", arxiv=["2402.00838"]),
    _entry("allenai/OLMo-7B-0424-hf", "olmo", None, "7b", 6.89, "base", qualifier="0424", released="2024-04"),
    _entry("state-spaces/mamba-1.4b-hf", "mamba", None, "1.4b", 1.37, "base", released="2023-12"),
    _entry("codellama/CodeLlama-7b-hf", "codellama", None, "7b", 6.74, "base", released="2023-08"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> CheckpointIndex:
    folder = tmp_path_factory.mktemp("index")
    (folder / "families.json").write_text(json.dumps(FAMILIES))
    (folder / "checkpoints.jsonl").write_text("\n".join(json.dumps(e) for e in CHECKPOINTS) + "\n")
    return CheckpointIndex.from_files(folder / "checkpoints.jsonl", folder / "families.json")


def resolver(index: CheckpointIndex, arxiv_id: str | None = "2507.00001", links: dict | None = None) -> ModelResolver:
    return ModelResolver(links or {}, arxiv_id, index)


@pytest.mark.parametrize(
    ("levels", "instruct", "repo"),
    [
        (["Qwen 2.5", "32B"], False, "Qwen/Qwen2.5-32B"),  # family and size split across header levels
        (["Qwen 2.5", "32B"], True, "Qwen/Qwen2.5-32B-Instruct"),  # an instruct table picks the instruct repo
        (["Qwen2.5-32B-Instruct"], False, "Qwen/Qwen2.5-32B-Instruct"),  # the printed name is the repo name
        (["gemma-3-1b-it"], False, "google/gemma-3-1b-it"),
        (["Llama3-8B"], False, "meta-llama/Meta-Llama-3-8B"),  # a version glued to the family
        (["LLaMA 3 70B"], False, "meta-llama/Meta-Llama-3-70B"),
        (["Llama 2-Chat", "7B"], False, "meta-llama/Llama-2-7b-chat-hf"),
        (["Gemma2-2.6B"], False, "google/gemma-2-2b"),  # the real parameter count printed, not the name's
        (["OLMo 7B 0424"], False, "allenai/OLMo-7B-0424-hf"),  # a release qualifier
        (["OLMo 7B"], False, "allenai/OLMo-7B-hf"),  # no qualifier: the original release
        (["Fully-open models", "OLMo 7B"], False, "allenai/OLMo-7B-hf"),  # a category header above is ignored
        (["Mistral v0.3 7B*"], False, "mistralai/Mistral-7B-v0.3"),
        (["Code-Llama 7B"], False, "codellama/CodeLlama-7b-hf"),
    ],
)
def test_printed_names_resolve_to_their_checkpoint(
    index: CheckpointIndex, levels: list[str], instruct: bool, repo: str
) -> None:
    r = resolver(index).resolve(levels, instruct=instruct)
    assert r.model_id == repo, r
    assert r.evidence and r.reason is None


@pytest.mark.parametrize(
    ("levels", "reason"),
    [
        (["Llama3-8B", "Distill"], "names a variant of llama ('distill')"),  # the paper's own distilled model
        (["Llama3-8B", "+ Diag."], "is not a released checkpoint"),  # the paper's own method on top
        (["Llama 1", "7B"], "has no official Hugging Face repo: Meta shared LLaMA weights by request"),
        (["LLaMA 7B"], "has no official Hugging Face repo"),
        (["Mistral 7B"], "is ambiguous: it could be mistralai/Mistral-7B-v0.1, mistralai/Mistral-7B-v0.3"),
        (["Llama 3"], "is ambiguous"),  # no size: 8B or 70B
        (["GPT-4"], "is proprietary (OpenAI API model)"),
        (["1.3B", "Mamba"], "has no Hugging Face id in the index"),  # 1.3B is not mamba-1.4b (1.37B)
        (["Llama-2-7b (ours)"], "is the paper's own model"),
        (["OurModel-7B (unreleased)"], "is unreleased"),
        (["w/o DCLM"], "ablation variant"),
    ],
)
def test_what_the_evidence_does_not_pin_stays_unresolved(
    index: CheckpointIndex, levels: list[str], reason: str
) -> None:
    r = resolver(index).resolve(levels)
    assert r.model_id is None and reason in (r.reason or ""), r


def test_the_paper_date_settles_a_tie_but_never_overrides_what_is_printed(index: CheckpointIndex) -> None:
    # in a March 2024 paper "Mistral 7B" can only be v0.1; in a 2025 paper it is ambiguous
    early = resolver(index, "2403.08295")
    got = early.resolve(["Mistral 7B"])
    assert got.model_id == "mistralai/Mistral-7B-v0.1" and "the only release by the paper's date" in got.evidence
    assert resolver(index, "2501.00656").resolve(["Mistral 7B"]).model_id is None  # v0.1 and v0.3 both exist
    # a revised e-print keeps its first month: a later model it names exactly is still that model
    assert early.resolve(["Qwen2.5-32B"]).model_id == "Qwen/Qwen2.5-32B"


def test_a_release_the_papers_text_names_exactly_settles_a_tie(index: CheckpointIndex) -> None:
    text = "we compare against mistral-7b-v0.3 \\citep{jiang2023} and llama 2".lower()
    r = ModelResolver({}, "2501.00656", index, text=text).resolve(["Mistral 7B"])
    assert r.model_id == "mistralai/Mistral-7B-v0.3" and "the paper's text names Mistral-7B-v0.3" in r.evidence
    both = "mistral-7b-v0.1 and mistral-7b-v0.3"
    assert ModelResolver({}, "2501.00656", index, text=both).resolve(["Mistral 7B"]).model_id is None


def test_the_papers_own_release_resolves_even_when_marked_ours(index: CheckpointIndex) -> None:
    r = resolver(index, "2307.09288").resolve(["Llama-2-7b (ours)"])
    assert r.model_id == "meta-llama/Llama-2-7b-hf" and r.source == "index: the paper's own checkpoint"


def test_instruct_context_without_an_instruct_repo_says_so(index: CheckpointIndex) -> None:
    r = resolver(index).resolve(["Meta-Llama-3-8B"], instruct=True)
    assert r.model_id is None and "instruct variant has no known Hugging Face id" in (r.reason or "")
    assert r.hub_query == "Meta-Llama-3-8B" and r.want_instruct  # the Hub may still know it (online)


def test_unknown_model_names_are_left_to_the_hub_but_variants_are_not(index: CheckpointIndex) -> None:
    assert resolver(index).resolve(["Mystery-3B"]).hub_query == "Mystery-3B"
    assert resolver(index).resolve(["Llama3-8B", "Distill"]).hub_query is None
    assert resolver(index).resolve(["GPT-4"]).hub_query is None


def test_links_in_the_paper_and_in_the_cell_rank_first(index: CheckpointIndex) -> None:
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
    r = resolver(index, links=links)
    assert r.resolve(["tiny-llama"]).model_id == "paperverdict-fixtures/tiny-llama"
    assert r.resolve(["TinyFixture"]).source == "link in paper"
    cell = "Ours\\footnote{\\url{https://huggingface.co/org/model-x}}"
    got = r.resolve(["Ours"], cell_links=links_in(cell))
    assert (got.model_id, got.source) == ("org/model-x", "link in cell")


def test_parsing_reads_each_field(index: CheckpointIndex) -> None:
    pm = parse_model_name("Llama 2-Chat 13B", index)
    assert (pm.family.key, pm.version, pm.size, pm.variant) == ("llama", "2", "13b", "instruct")
    pm = parse_model_name("OLMo-1B (1.2B)", index)
    assert (pm.family.key, pm.size, pm.size_alt) == ("olmo", "1b", "1.2b")
    pm = parse_model_name("Mixtral 8x7B", index)
    assert pm.family is None  # not in this small index
    assert parse_model_name("Llama 1 7B", index).version is None  # "1" is the unversioned first generation


def test_macro_labels_keep_their_word_boundary() -> None:
    from services.extractor.latex import collect_macros
    from services.extractor.plaintext import label_text

    macros = collect_macros(
        "\\newcommand{\\newOlmo}{Olmo\\xspace}\n\\newcommand{\\olmothree}{\\textsc{\\newOlmo~3}\\xspace}"
    )
    assert label_text("\\olmothree 7B", macros) == "Olmo 3 7B"
    assert label_text("\\olmothree{} 7B", macros) == "Olmo 3 7B"
    assert label_text("\\olmothree, 7B", macros) == "Olmo 3, 7B"


def test_the_bundled_index_loads() -> None:
    from services.extractor.checkpoints import CHECKPOINTS_FILE, bundled_index

    assert Path(CHECKPOINTS_FILE).is_file()
    assert len([c for c in bundled_index().checkpoints if c.repo]) >= 500
