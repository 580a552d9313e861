"""Test-wide settings: everything offline, the committed fixture hub and data."""

import os
from pathlib import Path

import pytest

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


SHARED_SERVERS = ("integration", "e2e")


def worker_group(nodeid: str) -> str:
    """The pytest-xdist work unit of a test (`make test` runs two workers): each group runs on one
    worker, in file order. Every test of the shared Kafka and FerretDB (tests/integration, tests/e2e:
    fixed topic names, whole pipelines) is in one group, so they run one after another as they always
    did; each other module is a group of its own (module fixtures built once)."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    if len(parts) > 1 and parts[0] == "tests" and parts[1] in SHARED_SERVERS:
        return "servers"
    return path


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    # a scheduler of our own, not xdist_group marks: pytest 9.2 broke the nodeid suffix loadgroup
    # relies on (pytest-dev/pytest-xdist#1386), and groups by node id need no marks
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return GroupScheduling(config, log)
