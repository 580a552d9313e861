"""A local arXiv-compatible HTTP server for the bundled fixture papers (stdlib only).

Serves every folder under fixtures/papers/ (meta.json, eprint.tar.gz | eprint.tex.gz,
render/paper.html, render/paper.pdf) the way arxiv.org does:

    GET /api/query?id_list=ID[,ID]   Atom feed; unknown or malformed IDs get arXiv's "Error" entry
    GET /e-print/ID[vN]              the source as arXiv sends it (gzipped tar or gzipped .tex)
    GET /html/IDvN, /pdf/IDvN        renderings, 404 when the paper has none
    GET /abs/ID[vN]                  a small abstract page

Fault injection for tests: `--fail-first N --fail-status 503 --retry-after S`, or at run time
`POST /_faults?count=N&status=429&retry_after=0`; `GET /_stats` returns request counts as JSON.

    python deploy/local/arxiv_server.py --port 8765 [--papers fixtures/papers] [--port-file F]
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PAPERS = ROOT / "fixtures" / "papers"
_ID = re.compile(r"^(?P<base>(\d{4}\.\d{4,5})|([a-z]+(-[a-z]+)?(\.[A-Z]{2})?/\d{7}))(v(?P<v>\d+))?$")


@dataclass
class Paper:
    arxiv_id: str
    folder: Path
    meta: dict

    @property
    def latest_version(self) -> int:
        meta = self.meta
        for key in ("latest_version", "version"):
            if isinstance(meta.get(key), int):
                return meta[key]
        versions = meta.get("versions")
        if isinstance(versions, int) and versions > 0:
            return versions
        if isinstance(versions, list) and versions:
            return len(versions)
        return 1

    def file(self, *names: str) -> Path | None:
        for name in names:
            path = self.folder / name
            if path.is_file():
                return path
        return None


def load_papers(papers_dir: Path) -> dict[str, Paper]:
    papers: dict[str, Paper] = {}
    if not papers_dir.is_dir():
        return papers
    for folder in sorted(p for p in papers_dir.iterdir() if p.is_dir()):
        meta_path = folder / "meta.json"
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.is_file() else {}
        arxiv_id = str(meta.get("arxiv_id") or folder.name.replace("_", "/"))
        arxiv_id = re.sub(r"v\d+$", "", arxiv_id)
        papers[arxiv_id] = Paper(arxiv_id=arxiv_id, folder=folder, meta=meta)
    return papers


def _iso(value: object, default: str) -> str:
    if not value:
        return default
    text = str(value)
    if len(text) == 10:  # a bare date
        text += "T00:00:00Z"
    return text


def _authors(meta: dict) -> list[str]:
    names = []
    for author in meta.get("authors") or []:
        names.append(author.get("name", "") if isinstance(author, dict) else str(author))
    return names or ["Paperverdict Fixtures"]


def entry_xml(paper: Paper, base_url: str) -> str:
    meta = paper.meta
    version = paper.latest_version
    published = _iso(meta.get("published") or meta.get("published_at"), "2026-11-02T00:00:00Z")
    updated = _iso(meta.get("updated") or meta.get("updated_at"), published)
    category = meta.get("primary_category") or (meta.get("categories") or ["cs.CL"])[0]
    comment = meta.get("comment") or ("This paper has been withdrawn by the authors." if meta.get("withdrawn") else "")
    parts = [
        "<entry>",
        f"<id>http://arxiv.org/abs/{escape(paper.arxiv_id)}v{version}</id>",
        f"<updated>{escape(updated)}</updated>",
        f"<published>{escape(published)}</published>",
        f"<title>{escape(str(meta.get('title') or paper.arxiv_id))}</title>",
        f"<summary>{escape(str(meta.get('abstract') or ''))}</summary>",
        *(f"<author><name>{escape(name)}</name></author>" for name in _authors(meta)),
    ]
    if comment:
        parts.append(f"<arxiv:comment>{escape(comment)}</arxiv:comment>")
    if meta.get("journal_ref") or meta.get("venue"):
        parts.append(
            f"<arxiv:journal_ref>{escape(str(meta.get('journal_ref') or meta.get('venue')))}</arxiv:journal_ref>"
        )
    parts += [
        f'<link href="{base_url}/abs/{paper.arxiv_id}v{version}" rel="alternate" type="text/html"/>',
        f'<link title="pdf" href="{base_url}/pdf/{paper.arxiv_id}v{version}" rel="related" type="application/pdf"/>',
        f'<arxiv:primary_category term="{escape(category)}" scheme="http://arxiv.org/schemas/atom"/>',
        f'<category term="{escape(category)}" scheme="http://arxiv.org/schemas/atom"/>',
        "</entry>",
    ]
    return "\n".join(parts)


def error_entry(requested: str, reason: str) -> str:
    slug = reason.replace(" ", "_")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S-05:00")
    return (
        "<entry>"
        f"<id>http://arxiv.org/api/errors#{escape(slug)}_{escape(requested)}</id>"
        "<title>Error</title>"
        f"<summary>{escape(reason)} {escape(requested)}</summary>"
        f"<updated>{now}</updated>"
        f'<link href="http://arxiv.org/api/errors#{escape(slug)}_{escape(requested)}" rel="alternate" type="text/html"/>'
        "<author><name>arXiv api core</name></author>"
        "</entry>"
    )


def feed_xml(entries: list[str], query: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
        f'<link href="http://arxiv.org/api/query?{escape(query)}" rel="self" type="application/atom+xml"/>\n'
        '<title type="html">ArXiv Query: ' + escape(query) + "</title>\n"
        "<id>http://arxiv.org/api/local</id>\n"
        f"<updated>{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S-05:00')}</updated>\n"
        f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>\n"
        "<opensearch:startIndex>0</opensearch:startIndex>\n"
        f"<opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>\n" + "\n".join(entries) + "\n</feed>\n"
    )


class Faults:
    """Answer the next `count` requests with `status` (and Retry-After), then behave."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.status = 503
        self.retry_after: str | None = None
        self.requests = 0
        self.faulted = 0
        self.paths: list[str] = []

    def take(self, path: str) -> tuple[int, str | None] | None:
        with self.lock:
            self.requests += 1
            self.paths.append(path)
            del self.paths[:-200]
            if self.count > 0:
                self.count -= 1
                self.faulted += 1
                return self.status, self.retry_after
        return None


class ArxivHandler(BaseHTTPRequestHandler):
    """arxiv.org's endpoints over `papers_dir`, with the faults tests inject (a subclass sets both)."""

    papers_dir: Path
    faults: Faults
    server_version = "paperverdict-arxiv/1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def not_found(self, what: str) -> None:
        self.send(404, f"{what} not found\n".encode(), "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        url = urlparse(self.path)
        if url.path != "/_faults":
            return self.not_found(url.path)
        query = parse_qs(url.query)
        with self.faults.lock:
            self.faults.count = int(query.get("count", ["0"])[0])
            self.faults.status = int(query.get("status", ["503"])[0])
            self.faults.retry_after = query.get("retry_after", [None])[0]
        self.send(200, b'{"ok": true}', "application/json")

    def do_GET(self) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        if path == "/_stats":
            with self.faults.lock:
                body = json.dumps(
                    {"requests": self.faults.requests, "faulted": self.faults.faulted, "paths": self.faults.paths}
                )
            return self.send(200, body.encode(), "application/json")
        if path == "/_health":
            return self.send(200, b"ok", "text/plain")
        fault = self.faults.take(path)
        if fault:
            status, retry_after = fault
            return self.send(
                status, b"injected fault\n", "text/plain", {"Retry-After": retry_after} if retry_after else None
            )
        papers = load_papers(self.papers_dir)  # re-read: tests may add papers while it runs
        if path == "/api/query":
            return self.api_query(papers, url.query)
        for prefix, kind in (
            ("/e-print/", "eprint"),
            ("/src/", "eprint"),
            ("/html/", "html"),
            ("/pdf/", "pdf"),
            ("/abs/", "abs"),
        ):
            if path.startswith(prefix):
                return self.artifact(papers, kind, path[len(prefix) :].strip("/"))
        return self.not_found(path)

    do_HEAD = do_GET

    def api_query(self, papers: dict[str, Paper], query: str) -> None:
        ids = [i.strip() for i in ",".join(parse_qs(query).get("id_list", [""])).split(",") if i.strip()]
        entries = []
        for requested in ids:
            match = _ID.match(requested)
            if not match:
                entries.append(error_entry(requested, "incorrect id format for"))
                continue
            paper = papers.get(match.group("base"))
            if paper is None:
                entries.append(error_entry(requested, "incorrect id format for"))
                continue
            entries.append(entry_xml(paper, self.base_url))
        self.send(200, feed_xml(entries, query).encode("utf-8"), "application/atom+xml; charset=utf-8")

    def artifact(self, papers: dict[str, Paper], kind: str, requested: str) -> None:
        match = _ID.match(requested)
        paper = papers.get(match.group("base")) if match else None
        if paper is None:
            return self.not_found(f"paper {requested}")
        version = int(match.group("v") or paper.latest_version)
        if version > paper.latest_version:
            return self.not_found(f"version {version} of {paper.arxiv_id}")
        if kind == "abs":
            title = escape(str(paper.meta.get("title") or paper.arxiv_id))
            body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
            return self.send(200, body.encode(), "text/html; charset=utf-8")
        if kind == "eprint":
            found = paper.file("eprint.tar.gz", "eprint.tex.gz", "eprint.tar", "eprint.tex", "eprint.pdf")
            if found is None:
                return self.not_found(f"source of {paper.arxiv_id}")
            content_type = "application/pdf" if found.suffix == ".pdf" else "application/gzip"
            return self.send(
                200,
                found.read_bytes(),
                content_type,
                {"Content-Disposition": f'attachment; filename="{paper.arxiv_id.replace("/", "_")}v{version}"'},
            )
        if kind == "html":
            found = paper.file("render/paper.html", "paper.html")
            if found is None:
                return self.not_found(f"HTML of {paper.arxiv_id}")
            return self.send(200, found.read_bytes(), "text/html; charset=utf-8")
        found = paper.file("render/paper.pdf", "paper.pdf")
        if found is None:
            return self.not_found(f"PDF of {paper.arxiv_id}")
        return self.send(200, found.read_bytes(), "application/pdf")


def make_handler(papers_dir: Path, faults: Faults) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (ArxivHandler,), {"papers_dir": papers_dir, "faults": faults})


def serve(host: str, port: int, papers_dir: Path, faults: Faults | None = None) -> ThreadingHTTPServer:
    """A started-in-a-thread server (for tests): `server.server_address`, `server.shutdown()`."""
    server = ThreadingHTTPServer((host, port), make_handler(papers_dir, faults or Faults()))
    server.faults = faults  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="arxiv-server")
    thread.start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--papers", type=Path, default=DEFAULT_PAPERS)
    parser.add_argument("--port-file", type=Path, default=None, help="write the bound port here (use with --port 0)")
    parser.add_argument("--fail-first", type=int, default=0, help="answer the first N requests with --fail-status")
    parser.add_argument("--fail-status", type=int, default=503)
    parser.add_argument("--retry-after", default=None)
    args = parser.parse_args()
    faults = Faults()
    faults.count, faults.status, faults.retry_after = args.fail_first, args.fail_status, args.retry_after
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.papers, faults))
    port = server.server_address[1]
    if args.port_file:
        args.port_file.write_text(str(port))
    print(f"arxiv_server listening on http://{args.host}:{port} serving {args.papers}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
