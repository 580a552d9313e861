"""Import deploy/local/arxiv_server.py (a script, not a package) for tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SERVER_SCRIPT = ROOT / "deploy" / "local" / "arxiv_server.py"


def load():
    name = "pv_local_arxiv_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SERVER_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
