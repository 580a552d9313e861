"""The seed document validates against our published-document model unchanged, and
docs/asyncapi.yaml is what FastStream generates from the services today."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared import topics
from shared.documents import PublishedDocument
from tests.paths import SEED, SEED_COPY, SEED_ORIGINAL

ROOT = Path(__file__).resolve().parents[3]
ASYNCAPI = ROOT / "docs" / "asyncapi.yaml"


def _seed_path() -> Path:
    return SEED


@pytest.mark.skipif(not SEED_ORIGINAL.exists(), reason="../shared/seed is not beside this checkout")
def test_committed_seed_copy_equals_the_original() -> None:
    assert json.loads(SEED_COPY.read_text("utf-8")) == json.loads(SEED_ORIGINAL.read_text("utf-8"))


def test_seed_document_validates_unchanged() -> None:
    raw = json.loads(_seed_path().read_text("utf-8"))
    document = PublishedDocument.model_validate(raw)
    dumped = json.loads(document.model_dump_json(exclude_unset=True))
    # every field of the seed survives a round trip with the same value
    assert dumped["paper"] == {**raw["paper"]}
    assert dumped["latest_version"] == raw["latest_version"]
    assert dumped["verdicts"]["pre"] is None
    assert document.verdict is not None and document.verdict.id == raw["verdict"]["id"]
    assert document.verdict.claim_citation.reported_value == 50.8
    assert document.verdicts.post == document.verdict
    for key in ("id", "kind", "status", "score", "confidence", "agent_version", "is_current", "protocol_match"):
        assert dumped["verdict"][key] == raw["verdict"][key]


def test_asyncapi_is_current(tmp_path: Path) -> None:
    out = tmp_path / "asyncapi.yaml"
    subprocess.run(
        [sys.executable, "-m", "faststream", "docs", "gen", "--yaml", "services.asyncapi:app", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    # Compared as data: FastStream's channel order follows set iteration order.
    assert yaml.safe_load(out.read_text()) == yaml.safe_load(ASYNCAPI.read_text()), (
        "docs/asyncapi.yaml is stale: run `make asyncapi`"
    )


def test_asyncapi_documents_every_topic_and_dead_letter_topic() -> None:
    spec = yaml.safe_load(ASYNCAPI.read_text())
    addresses = {channel["address"] for channel in spec["channels"].values()}
    assert set(topics.ALL) <= addresses
    assert {topics.dead_letter(t) for t in topics.ALL} <= addresses
