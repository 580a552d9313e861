"""A local Hugging Face Hub-compatible HTTP server for model metadata (stdlib only).

Serves the model-info JSON files of a folder (default fixtures/hub-api/models/<org>--<name>.json, each
the body of the real `GET https://huggingface.co/api/models/<org>/<name>`) in the Hub API's shapes, so
that the real `huggingface_hub.HfApi(endpoint=...)` parses them:

    GET /api/models/ORG/NAME[/revision/REV][?expand=F...]   one model; unknown repos get the Hub's
        RepoNotFound error (401 without an Authorization header, 404 with one, as huggingface.co does)
    GET /api/models?search=&author=&filter=&sort=&direction=&limit=&full=&config=&expand=
        search: every whitespace-separated term is a case-insensitive substring of the repo id;
        filter: each value is one of the model's tags, its library or its pipeline tag

Fault injection for tests: `--fail-first N --fail-status 503 --retry-after S` (`--fail-status 0` drops
the connection without an answer), or at run time `POST /_faults?count=N&status=503&retry_after=S&delay=S`
(delay: seconds to wait before answering; status=200 with a delay answers normally, late); `GET /_stats`
returns request counts as JSON.

    python deploy/local/hub_server.py --port 0 [--models fixtures/hub-api/models] [--port-file F]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODELS = ROOT / "fixtures" / "hub-api" / "models"

# What huggingface.co returns per model in a listing: a compact set, more with full=true or config=true,
# exactly `_id`, `id` and the named fields with expand.
LIST_FIELDS = ["_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag"]
LIST_FIELDS += ["library_name", "createdAt", "modelId"]
FULL_FIELDS = ["author", "sha", "lastModified", "gated", "disabled", "siblings", "widgetData", "mask_token"]


def load_models(models_dir: Path) -> dict[str, dict[str, Any]]:
    """Repo id -> model info; the file name is the repo id with "/" written "--"."""
    models: dict[str, dict[str, Any]] = {}
    if not models_dir.is_dir():
        return models
    for path in sorted(models_dir.glob("*.json")):
        info = json.loads(path.read_text("utf-8"))
        repo = str(info.get("id") or path.stem.replace("--", "/", 1))
        models[repo.lower()] = {"id": repo, "modelId": repo, **info}
    return models


def select(info: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    return {key: info[key] for key in ("_id", "id", *fields) if key in info}


def matches(info: dict[str, Any], search: str, author: str, filters: list[str]) -> bool:
    repo = str(info["id"]).lower()
    if any(term not in repo for term in search.lower().split()):
        return False
    if author and ("/" not in repo or repo.split("/", 1)[0] != author.lower()):
        return False
    known = {str(t).lower() for t in info.get("tags") or []}
    known |= {str(info.get("library_name") or "").lower(), str(info.get("pipeline_tag") or "").lower()}
    return all(f.lower() in known for f in filters)


def _sort_key(value: object) -> tuple[bool, float, str]:
    """Numbers (downloads, likes) by value, anything else (dates) as text; a missing value sorts low."""
    if isinstance(value, int | float):
        return True, float(value), ""
    return value is not None, 0.0, str(value or "")


class Faults:
    """Answer the next `count` requests with `status` (0: drop the connection), after `delay` seconds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.status = 503
        self.retry_after: str | None = None
        self.delay = 0.0
        self.requests = 0
        self.faulted = 0
        self.paths: list[str] = []

    def set(self, count: int, status: int = 503, retry_after: str | None = None, delay: float = 0.0) -> None:
        with self.lock:
            self.count, self.status, self.retry_after, self.delay = count, status, retry_after, delay

    def take(self, path: str) -> tuple[int, str | None, float] | None:
        with self.lock:
            self.requests += 1
            self.paths.append(path)
            del self.paths[:-200]
            if self.count > 0:
                self.count -= 1
                self.faulted += 1
                return self.status, self.retry_after, self.delay
        return None


class HubHandler(BaseHTTPRequestHandler):
    """The Hub's model API over `models_dir`, with the faults tests inject (a subclass sets both)."""

    models_dir: Path
    faults: Faults
    server_version = "paperverdict-hub/1"
    protocol_version = "HTTP/1.1"  # keep-alive, as the Hub: a dropped connection is then a real surprise

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout test)
            self.close_connection = True

    def repo_not_found(self) -> None:
        # huggingface.co answers 401 to anonymous requests for repos it will not admit exist, 404 otherwise
        authed = bool(self.headers.get("Authorization"))
        message = "Repository not found" if authed else "Invalid username or password."
        headers = {"X-Error-Code": "RepoNotFound", "X-Error-Message": message}
        self.send(404 if authed else 401, {"error": message}, headers)

    def do_POST(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if url.path != "/_faults":
            return self.send(404, {"error": "Not Found"})
        q = parse_qs(url.query)
        self.faults.set(
            int(q.get("count", ["0"])[0]),
            int(q.get("status", ["503"])[0]),
            q.get("retry_after", [None])[0],
            float(q.get("delay", ["0"])[0]),
        )
        self.send(200, {"ok": True})

    def do_GET(self) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        if path == "/_stats":
            with self.faults.lock:
                stats = {"requests": self.faults.requests, "faulted": self.faults.faulted, "paths": self.faults.paths}
            return self.send(200, stats)
        fault = self.faults.take(self.path)
        if fault:
            status, retry_after, delay = fault
            time.sleep(delay)
            if status == 0:  # drop: no status line at all
                self.close_connection = True
                return None
            if status >= 400:  # below: only the delay, then the real answer
                headers = {"Retry-After": retry_after} if retry_after else {}
                return self.send(status, {"error": "injected fault"}, headers)
        models = load_models(self.models_dir)  # re-read: tests may add models while it runs
        query = parse_qs(url.query)
        expand = query.get("expand", []) + query.get("expand[]", [])
        if path.rstrip("/") == "/api/models":
            return self.list_models(models, query, expand)
        if path.startswith("/api/models/"):
            repo, _, revision = path[len("/api/models/") :].strip("/").partition("/revision/")
            info = models.get(repo.lower())
            if info is None:
                return self.repo_not_found()
            if revision and revision not in ("main", info.get("sha")):
                message = f"Invalid rev id: {revision}"
                return self.send(404, {"error": message}, {"X-Error-Code": "RevisionNotFound"})
            return self.send(200, select(info, expand) if expand else info)
        return self.send(404, {"error": "Not Found"})

    def list_models(self, models: dict[str, dict[str, Any]], query: dict[str, list[str]], expand: list[str]) -> None:
        if expand and (query.get("full") or query.get("config")):
            return self.send(400, {"error": "expand cannot be combined with full or config"})
        first = {key: values[0] for key, values in query.items()}
        found = [
            m
            for m in models.values()
            if matches(m, first.get("search", ""), first.get("author", ""), query.get("filter", []))
        ]
        sort = first.get("sort")
        if sort:
            found.sort(key=lambda m: _sort_key(m.get(sort)), reverse=first.get("direction", "-1") == "-1")
        limit = int(first.get("limit") or 1000)
        if expand:
            fields = expand
        else:
            fields = [*LIST_FIELDS]
            if first.get("full", "").lower() in ("1", "true"):
                fields += FULL_FIELDS
            if first.get("config", "").lower() in ("1", "true"):
                fields.append("config")
        self.send(200, [select(m, fields) for m in found[:limit]])


def make_handler(models_dir: Path, faults: Faults) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (HubHandler,), {"models_dir": models_dir, "faults": faults})


def serve(host: str, port: int, models_dir: Path = DEFAULT_MODELS, faults: Faults | None = None) -> ThreadingHTTPServer:
    """A started-in-a-thread server (for tests): `server.server_address`, `server.shutdown()`."""
    faults = faults or Faults()
    server = ThreadingHTTPServer((host, port), make_handler(models_dir, faults))
    server.daemon_threads = True
    server.faults = faults  # type: ignore[attr-defined]
    # a short poll interval: shutdown() at the end of each test returns at once
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True, name="hub-server").start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--port-file", type=Path, default=None, help="write the bound port here (use with --port 0)")
    parser.add_argument("--fail-first", type=int, default=0, help="answer the first N requests with --fail-status")
    parser.add_argument("--fail-status", type=int, default=503, help="0: drop the connection instead")
    parser.add_argument("--retry-after", default=None)
    args = parser.parse_args()
    faults = Faults()
    faults.set(args.fail_first, args.fail_status, args.retry_after)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.models, faults))
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        args.port_file.write_text(str(port))
    print(f"hub_server listening on http://{args.host}:{port} serving {args.models}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
