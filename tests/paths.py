"""Paths the tests share. The seed document lives in ../shared/seed beside the checkout (the design's
location); fixtures/seed holds a committed copy so that a lone clone can run the suite, and
tests/unit/pipeline/test_seed_and_asyncapi.py checks that the copy equals the original when both exist."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SEED_ORIGINAL = ROOT.parent / "shared" / "seed" / "published_verdict_example.json"
SEED_COPY = FIXTURES / "seed" / "published_verdict_example.json"
SEED = SEED_ORIGINAL if SEED_ORIGINAL.exists() else SEED_COPY
