"""services/extractor/hub.py with the real huggingface_hub HfApi against deploy/local/hub_server.py
(fixture `hub_server`, tests/servers.py), and `reject_reason` on hand-made candidates."""

from __future__ import annotations

import json
from pathlib import Path

import huggingface_hub.constants
import pytest

from services.extractor.hub import (
    HubClient,
    HubError,
    HubModel,
    HubUnavailable,
    is_instruct,
    reject_reason,
    retry_after,
)
from tests.servers import HubServer

MODELS = Path(__file__).resolve().parents[3] / "fixtures" / "hub-api" / "models"


def fixture_info(repo: str) -> dict:  # type: ignore[type-arg]
    return json.loads((MODELS / f"{repo.replace('/', '--')}.json").read_text())  # type: ignore[no-any-return]


def test_paper_models_are_the_repos_tagged_with_the_arxiv_id_most_downloaded_first(hub_server: HubServer) -> None:
    hub = HubClient(hub_server.endpoint)
    qwen = hub.paper_models("2407.10671v3")  # the version suffix is not part of the tag
    assert [m.repo for m in qwen] == ["Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-32B"]
    assert [m.downloads for m in qwen] == [3_521_870, 1_204_311, 161_045]
    (smol,) = hub.paper_models("2502.02737")
    assert smol.repo == "HuggingFaceTB/SmolLM2-135M"
    assert smol.params_b == pytest.approx(0.134515008) and smol.causal_lm and smol.safetensors
    assert "arxiv:2502.02737" in smol.tags
    assert hub.paper_models("2611.00001") == []
    assert [m.repo for m in hub.paper_models("2407.10671", limit=1)] == ["Qwen/Qwen2.5-7B-Instruct"]


def test_search_matches_repo_ids_and_carries_the_fields_the_checks_need(hub_server: HubServer) -> None:
    hub = HubClient(hub_server.endpoint)
    found = hub.search("gemma-2-9b")
    assert [m.repo for m in found] == ["google/gemma-2-9b-it", "google/gemma-2-9b"]
    it, base = found
    assert it.gated and base.gated and it.params_b == pytest.approx(9.241705984)
    assert is_instruct(it) and not is_instruct(base)
    assert [m.repo for m in hub.search("Qwen2.5-7B", limit=1)] == ["Qwen/Qwen2.5-7B-Instruct"]
    assert hub.search("no-such-model-anywhere") == []


def test_info_reads_parameters_safetensors_gating_and_sha(hub_server: HubServer) -> None:
    hub = HubClient(hub_server.endpoint)
    qwen = hub.info("Qwen/Qwen2.5-32B")
    assert qwen is not None
    assert qwen.params_b == pytest.approx(32.763876352)
    assert qwen.sha == fixture_info("Qwen/Qwen2.5-32B")["sha"]
    assert (qwen.causal_lm, qwen.safetensors, qwen.gated, qwen.moe) == (True, True, False, False)
    llama = hub.info("meta-llama/Llama-2-7b-hf")
    assert llama is not None and llama.gated and llama.safetensors and llama.params_b == pytest.approx(6.738415616)
    pickle_only = hub.info("facebook/galactica-6.7b")
    assert pickle_only is not None and pickle_only.causal_lm
    assert (pickle_only.safetensors, pickle_only.params_b) == (False, None)
    bert = hub.info("google-bert/bert-base-uncased")
    assert bert is not None and not bert.causal_lm and bert.safetensors
    mixtral = hub.info("mistralai/Mixtral-8x7B-v0.1")
    assert mixtral is not None and mixtral.moe and mixtral.params_b == pytest.approx(46.702792704)
    assert mixtral.remote_code is None and qwen.remote_code is None
    qwen_1 = hub.info("Qwen/Qwen-7B")  # QWenLMHeadModel: only as the repository's modeling_qwen.py
    assert qwen_1 is not None and qwen_1.causal_lm and qwen_1.safetensors
    assert "remote code (auto_map) for model type 'qwen'" in (qwen_1.remote_code or "")


def test_a_repo_the_hub_does_not_have_is_none_with_or_without_a_token(hub_server: HubServer) -> None:
    assert HubClient(hub_server.endpoint).info("nobody/nothing-7b") is None  # the Hub's 401 RepoNotFound
    assert HubClient(hub_server.endpoint, token="hf_test").info("nobody/nothing-7b") is None  # its 404


def test_hub_candidates_checked_end_to_end(hub_server: HubServer) -> None:
    hub = HubClient(hub_server.endpoint)

    def why(repo: str, size: float | None, instruct: bool | None) -> str | None:
        model = hub.info(repo)
        assert model is not None
        return reject_reason(model, size, instruct)

    assert why("Qwen/Qwen2.5-7B", 7.0, False) is None
    assert why("Qwen/Qwen2.5-7B-Instruct", 7.0, True) is None
    assert "base model" in (why("Qwen/Qwen2.5-7B", 7.0, True) or "")
    assert "32.8B parameters, but the paper prints 7B" in (why("Qwen/Qwen2.5-32B", 7.0, False) or "")
    assert "not a causal language model" in (why("google-bert/bert-base-uncased", 0.11, None) or "")
    assert "no safetensors" in (why("facebook/galactica-6.7b", 6.7, None) or "")
    assert why("mistralai/Mixtral-8x7B-v0.1", 56.0, False) is None
    assert "remote code is never run" in (why("Qwen/Qwen-7B", 7.0, False) or "")


def test_503_is_hub_unavailable_with_the_retry_after(hub_server: HubServer) -> None:
    hub_server.faults.set(100, 503, retry_after="30")
    with pytest.raises(HubUnavailable) as caught:
        HubClient(hub_server.endpoint).info("Qwen/Qwen2.5-7B")
    assert caught.value.retry_after_s == 30.0 and "HTTP 503" in str(caught.value)
    assert caught.value.service == f"the Hugging Face Hub at {hub_server.endpoint}"
    hub_server.faults.set(100, 429)
    with pytest.raises(HubUnavailable, match="HTTP 429"):
        HubClient(hub_server.endpoint).info("Qwen/Qwen2.5-7B")


def test_other_refusals_are_hub_error_and_a_bare_404_is_a_missing_repo(hub_server: HubServer) -> None:
    hub = HubClient(hub_server.endpoint)
    hub_server.faults.set(1, 403)
    with pytest.raises(HubError, match="refused"):
        hub.info("Qwen/Qwen2.5-7B")
    hub_server.faults.set(1, 404)  # a 404 without the Hub's X-Error-Code: still no such repo
    assert hub.info("Qwen/Qwen2.5-7B") is None
    hub_server.faults.set(1, 404)  # but a listing that is not there means the endpoint is wrong
    with pytest.raises(HubError):
        hub.search("qwen")


def test_retry_after_reads_retry_after_or_the_spent_rate_limit() -> None:
    assert retry_after({"Retry-After": "12"}) == 12.0
    assert retry_after({"RateLimit": '"api";r=0;t=55', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}) == 55.0
    assert retry_after({"RateLimit": '"api";r=3;t=55'}) is None  # quota left: not the reason
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after({}) is None


def test_a_listing_that_keeps_failing_is_given_up_after_the_timeout(hub_server: HubServer) -> None:
    hub_server.faults.set(100, 503)  # HfApi.list_models itself retries 5xx with backoff
    with pytest.raises(HubUnavailable, match="no answer within 1s"):
        HubClient(hub_server.endpoint, timeout=1.0).search("qwen")


def test_one_transient_503_in_a_listing_is_retried_by_hfapi(hub_server: HubServer) -> None:
    hub_server.faults.set(1, 503)
    found = HubClient(hub_server.endpoint, timeout=10.0).paper_models("2501.00656")
    assert [m.repo for m in found] == ["allenai/OLMo-2-1124-7B"]
    assert hub_server.faults.faulted == 1


def test_dropped_connections_and_slow_answers_are_hub_unavailable(hub_server: HubServer) -> None:
    hub_server.faults.set(100, 0)
    with pytest.raises(HubUnavailable, match="RemoteProtocolError|disconnected"):
        HubClient(hub_server.endpoint).info("Qwen/Qwen2.5-7B")
    hub_server.faults.set(1, 200, delay=2.0)
    with pytest.raises(HubUnavailable):
        HubClient(hub_server.endpoint, timeout=0.5).info("Qwen/Qwen2.5-7B")


def test_a_closed_port_is_hub_unavailable(hub_server: HubServer) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HubUnavailable, match="ConnectError"):
        HubClient(f"http://127.0.0.1:{port}", timeout=5.0).info("Qwen/Qwen2.5-7B")


def test_offline_mode_is_hub_unavailable_and_says_so(hub_server: HubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubUnavailable, match="HF_HUB_OFFLINE"):
        HubClient(hub_server.endpoint).info("Qwen/Qwen2.5-7B")


# ---------------------------------------------------------------- reject_reason, pure


def model(repo: str = "Qwen/Qwen2.5-7B", params_b: float | None = 7.62, **kw: object) -> HubModel:
    fields: dict[str, object] = {"sha": "a" * 40, "causal_lm": True, "safetensors": True, "gated": False, "tags": ()}
    fields.update(kw)
    return HubModel(repo=repo, params_b=params_b, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("candidate", "size", "instruct", "expected"),
    [
        (model(), 7.0, False, None),
        (model(), None, None, None),
        (model(params_b=None), 7.0, None, None),  # nothing to compare
        (model(causal_lm=False), 7.0, None, "not a causal language model"),
        (model(safetensors=False), 7.0, None, "no safetensors weights"),
        (model(params_b=13.0), 7.0, None, "13B parameters, but the paper prints 7B"),
        (model(params_b=5.8), 7.0, None, "5.8B parameters"),  # 17% below: not a 7B
        (model("google/gemma-7b", 8.54), 7.0, None, None),  # 22% above: embeddings left out of the name
        (model("google/gemma-2-2b", 2.61), 2.0, None, None),
        (model("meta-llama/Llama-2-13b-hf", 13.0), 7.0, None, "13B parameters"),
        (model("mistralai/Mixtral-8x7B-v0.1", 46.7, moe=True), 56.0, None, None),  # printed 8x7B
        (model("Qwen/Qwen1.5-MoE-A2.7B", 14.3, moe=True), 2.7, None, None),  # printed by its active size
        (model("mistralai/Mixtral-8x7B-v0.1", 46.7), 56.0, None, "46.7B parameters"),  # dense: 17% off
        (model("mistralai/Mixtral-8x7B-v0.1", 46.7, moe=True), 7.0, None, None),
        (model("x/tiny-moe", 0.5, moe=True), 7.0, None, "a mixture of experts with 0.5B parameters"),
        (model("Qwen/Qwen2.5-7B"), 7.0, True, "a base model"),
        (model("Qwen/Qwen2.5-7B-Instruct"), 7.0, False, "an instruction-tuned model"),
        (model("Qwen/Qwen2.5-7B-Instruct"), 7.0, True, None),
        (model("Qwen/Qwen2.5-7B-Instruct"), 7.0, None, None),
        (model("meta-llama/Llama-2-7b-chat-hf", 6.74), 7.0, True, None),
        (model("google/gemma-2-9b-it", 9.24), 9.0, True, None),
        (model("google/gemma-2-9b", 9.24), 9.0, True, "a base model"),
        (model("allenai/OLMo-2-1124-7B-SFT", 7.3), 7.0, False, "instruction-tuned"),
        (model("org/some-model", tags=("chat",)), 7.0, False, "instruction-tuned"),
        (model("THUDM/chatglm3-6b", 6.24), 6.0, False, None),  # "chat" inside a word is a name, not a variant
        (model("x/gated", None, sha=None, causal_lm=False, safetensors=False, gated=True), 7.0, None, "gated"),
    ],
)
def test_reject_reason(candidate: HubModel, size: float | None, instruct: bool | None, expected: str | None) -> None:
    why = reject_reason(candidate, size, instruct)
    if expected is None:
        assert why is None
    else:
        assert why is not None and expected in why
