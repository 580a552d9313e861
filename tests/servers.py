"""Live servers for the integration and e2e tiers, registered for the whole suite by tests/conftest.py
(`pytest_plugins`), so no test module imports another's fixtures.

`services_env` reuses servers already named by .run/services.env when they answer, and runs
deploy/local/up.sh otherwise (first run builds FerretDB and fetches the Kafka jars: a few minutes).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parents[1]
UP_SCRIPT = ROOT / "deploy" / "local" / "up.sh"
SERVICES_ENV = ROOT / ".run" / "services.env"
UP_TIMEOUT_S = 900  # a cold machine fetches ~45 MB of jars and compiles FerretDB

_probe_spec = importlib.util.spec_from_file_location("pv_local_probe", ROOT / "deploy" / "local" / "probe.py")
assert _probe_spec and _probe_spec.loader
probe = importlib.util.module_from_spec(_probe_spec)
_probe_spec.loader.exec_module(probe)

_hub_spec = importlib.util.spec_from_file_location("pv_local_hub_server", ROOT / "deploy" / "local" / "hub_server.py")
assert _hub_spec and _hub_spec.loader
hub_server_module = importlib.util.module_from_spec(_hub_spec)
_hub_spec.loader.exec_module(hub_server_module)


def _read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def _answers(env: dict[str, str]) -> bool:
    try:
        kafka = env["PV_KAFKA_BOOTSTRAP_SERVERS"].split(",")[0]
        mongo = urlparse(env["PV_MONGO_URL"]).netloc.rpartition("@")[2].split(",")[0]
        return probe.kafka_broker_count(kafka) >= 1 and probe.mongo_ping(mongo)
    except (KeyError, OSError, ValueError, IndexError):
        return False


@pytest.fixture(scope="session")
def services_env() -> dict[str, str]:
    """PV_KAFKA_BOOTSTRAP_SERVERS and PV_MONGO_URL of live servers, also exported to os.environ."""
    env = _read_env_file(SERVICES_ENV) if SERVICES_ENV.exists() else {}
    if not _answers(env):
        result = subprocess.run(
            ["bash", str(UP_SCRIPT)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=UP_TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(
                f"deploy/local/up.sh failed (exit {result.returncode}); logs are in .run/logs/\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}",
                pytrace=False,
            )
        env = _read_env_file(SERVICES_ENV)
        assert _answers(env), f"up.sh succeeded but {SERVICES_ENV} names servers that do not answer: {env}"
    services = {key: env[key] for key in ("PV_KAFKA_BOOTSTRAP_SERVERS", "PV_MONGO_URL")}
    os.environ.update(services)
    return services


@pytest.fixture(scope="session")
def kafka_bootstrap(services_env: dict[str, str]) -> str:
    return services_env["PV_KAFKA_BOOTSTRAP_SERVERS"]


@pytest.fixture(scope="session")
def mongo_url(services_env: dict[str, str]) -> str:
    return services_env["PV_MONGO_URL"]


@pytest.fixture
def mongo_db_name(mongo_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database name no other test uses; the database is dropped after the test."""
    name = f"pvtest_{request.node.name[:30]}_{uuid.uuid4().hex[:8]}".replace("[", "_").replace("]", "_")
    yield name
    with MongoClient(mongo_url, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(name)


@pytest.fixture
async def mongo_db(mongo_url: str, mongo_db_name: str) -> AsyncIterator[AsyncIOMotorDatabase]:
    """A fresh motor database of its own for each test (dropped afterwards by `mongo_db_name`)."""
    client: AsyncIOMotorClient = AsyncIOMotorClient(mongo_url, serverSelectionTimeoutMS=5000)
    try:
        yield client[mongo_db_name]
    finally:
        client.close()


@dataclass
class HubServer:
    endpoint: str  # http://127.0.0.1:PORT, for HubClient / --endpoint
    faults: Any  # hub_server.Faults: .set(count, status=503, retry_after=None, delay=0.0); status 0 drops


@pytest.fixture
def hub_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """deploy/local/hub_server.py in a thread on a free loopback port, serving fixtures/hub-api/models,
    with huggingface_hub's offline mode (tests/conftest.py) lifted for the test so the real HfApi calls it."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    faults = hub_server_module.Faults()
    server = hub_server_module.serve("127.0.0.1", 0, hub_server_module.DEFAULT_MODELS, faults)
    host, port = server.server_address[:2]
    try:
        yield HubServer(f"http://{host}:{port}", faults)
    finally:
        server.shutdown()
        server.server_close()
