"""Test-wide settings: everything offline, the committed fixture hub and data."""

import os
from pathlib import Path

# live Kafka + FerretDB fixtures for the integration and e2e tiers; a skip off tests/allowed_skips.txt fails the run
pytest_plugins = ["tests.servers", "tests.skip_policy"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_CACHE", str(FIXTURES / "hub"))
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("PV_LOG_FORMAT", "console")
