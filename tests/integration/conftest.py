"""Integration tests run against the real Kafka and FerretDB that deploy/local/up.sh starts (fixtures
in tests/servers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    registered = any(line.split(":")[0].strip() == "integration" for line in config.getini("markers"))
    if not registered:
        config.addinivalue_line(
            "markers", "integration: needs the real Kafka and FerretDB that deploy/local/up.sh starts"
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)
