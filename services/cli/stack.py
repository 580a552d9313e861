"""Where the CLI finds Kafka and MongoDB, and the one line it prints when it cannot reach them.

Without PV_KAFKA_BOOTSTRAP_SERVERS / PV_MONGO_URL, every command uses the local stack that
`make serve` (or `make up`) started for this checkout: deploy/local/up.sh writes its random ports to
`.run/services.env`, and the file is used when its Kafka port answers. Variables that are set always
win. A dependency that cannot be reached (Kafka, MongoDB, arXiv, the Hub) ends the command with one
`error:` line naming what was tried and how to fix it, exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path

ENV_FILE = Path(".run") / "services.env"
CHECKOUT = Path(__file__).resolve().parents[2]
VARIABLES = ("PV_KAFKA_BOOTSTRAP_SERVERS", "PV_MONGO_URL")
FIX = "start the local stack with `make serve` (or `make up`) in {root}, or set {var}"

# where each variable's value came from, for the error line: "PV_... (set)", ".run/services.env", "default"
origins: dict[str, str] = {}


def env_files(cwd: Path | None = None) -> list[Path]:
    """`.run/services.env` of the working directory or a folder above it, then of this checkout."""
    start = (cwd or Path.cwd()).resolve()
    found = [folder / ENV_FILE for folder in (start, *start.parents) if (folder / ENV_FILE).is_file()]
    if (CHECKOUT / ENV_FILE).is_file():
        found.append(CHECKOUT / ENV_FILE)
    return list(dict.fromkeys(found))


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name in VARIABLES:
            values[name] = value.strip().strip("'\"")
    return values


def answers(address: str, timeout_s: float = 0.5) -> bool:
    """Whether `host:port` (the first of a comma-separated list) accepts a TCP connection."""
    host, _, port = address.split(",")[0].strip().rpartition(":")
    try:
        with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def use_local_stack(environ: MutableMapping[str, str] | None = None, cwd: Path | None = None) -> None:
    """Fill the unset Kafka/MongoDB variables from a running local stack's `.run/services.env`."""
    env = os.environ if environ is None else environ
    origins.clear()
    for var in VARIABLES:
        if env.get(var):
            origins[var] = f"{var} (set)"
    missing = [var for var in VARIABLES if not env.get(var)]
    if not missing:
        return
    for path in env_files(cwd):
        values = read_env_file(path)
        kafka = values.get("PV_KAFKA_BOOTSTRAP_SERVERS")
        if kafka and answers(kafka):
            for var in missing:
                if values.get(var):
                    env[var] = values[var]
                    origins[var] = str(path)
            return
        origins.setdefault("stale", str(path))
    for var in missing:
        origins[var] = "the default; no running local stack found" + (
            f" ({origins['stale']} names one that is not running)" if "stale" in origins else ""
        )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo.extend(x for x in (e.__cause__, e.__context__) if x is not None)
        todo.extend(getattr(e, "exceptions", ()))  # ExceptionGroup (asyncio.TaskGroup)


def unreachable(exc: BaseException, environ: Mapping[str, str] | None = None) -> str | None:
    """The one line for an exception that means a dependency is unreachable; None for any other."""
    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NoBrokersAvailable
    from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

    from shared.errors import UpstreamUnavailable
    from shared.settings import KafkaSettings, MongoSettings

    env = os.environ if environ is None else environ
    root = CHECKOUT
    for e in _chain(exc):
        if isinstance(e, (KafkaConnectionError, KafkaTimeoutError, NoBrokersAvailable)):
            var = "PV_KAFKA_BOOTSTRAP_SERVERS"
            where = env.get(var) or KafkaSettings().bootstrap_servers
            return (
                f"cannot reach Kafka at {where} (from {origins.get(var, var)}): "
                + FIX.format(root=root, var=var)
                + f" ({type(e).__name__})"
            )
        if isinstance(e, (ServerSelectionTimeoutError, ConnectionFailure)):
            var = "PV_MONGO_URL"
            where = _redact(env.get(var) or MongoSettings().url.get_secret_value())
            return (
                f"cannot reach MongoDB at {where} (from {origins.get(var, var)}): "
                + FIX.format(root=root, var=var)
                + f" ({type(e).__name__})"
            )
        if isinstance(e, UpstreamUnavailable):
            return f"{e.service} is unavailable: {str(e)[:300]}; try again later, or check the service's URL settings"
    for e in _chain(exc):
        line = _http_unreachable(e)
        if line:
            return line
    return None


def _http_unreachable(e: BaseException) -> str | None:
    import httpx

    if isinstance(e, httpx.TransportError):
        try:
            url = str(e.request.url)
        except RuntimeError:
            url = "?"
        return f"cannot reach {_service_of(url)} at {url} ({type(e).__name__}: {str(e)[:200]}); check the network or its URL setting"
    try:
        import requests
    except ImportError:  # pragma: no cover - a dependency of huggingface_hub
        return None
    if isinstance(e, (requests.ConnectionError, requests.Timeout)):
        url = getattr(getattr(e, "request", None), "url", None) or "?"
        return (
            f"cannot reach {_service_of(url)} at {url} ({type(e).__name__}); check the network, or set HF_HUB_OFFLINE=1"
        )
    return None


def _service_of(url: str) -> str:
    if "arxiv" in url or "/e-print/" in url or "/api/query" in url:
        return "arXiv (PV_ARXIV_BASE_URL / PV_ARXIV_API_URL)"
    if "huggingface" in url or "hf.co" in url:
        return "the Hugging Face Hub"
    return "a service"


def _redact(url: str) -> str:
    """mongodb://user:secret@host/ -> mongodb://***@host/"""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url
