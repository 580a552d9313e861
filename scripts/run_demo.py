"""What `make run` does: install, start Kafka + FerretDB, the five services, the API and the local
arXiv server; publish the fixture paper; wait for all its POST verdicts; print the published
document; stop everything (also on failure or Ctrl-C).

    .venv/bin/python scripts/run_demo.py [--arxiv-id 2611.00001] [--timeout 900] [--skip-install] [--stop-infra]

Exit status: 0 when every extracted claim of the paper has a POST verdict in the published document
within the time limit, 1 otherwise (the last lines of each service's log are printed then).
The e2e tests drive the same `Pipeline` class.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVICES = ("ingestor", "extractor", "evaluator", "validator", "publisher")
RUN_DIR = ROOT / ".run"
SERVICES_ENV = RUN_DIR / "services.env"
PYTHON = ROOT / ".venv" / "bin" / "python"
FASTSTREAM = ROOT / ".venv" / "bin" / "faststream"


def log(message: str) -> None:
    print(f"[run] {message}", file=sys.stderr, flush=True)


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Pipeline:
    """The five services + API + local arXiv server as subprocesses, with their logs in `log_dir`."""

    def __init__(
        self,
        infra_env: dict[str, str],
        *,
        database: str | None = None,
        log_dir: Path | None = None,
        papers_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
        with_api: bool = True,
        local_arxiv: bool = True,
        health_ports: dict[str, int] | None = None,
        api_port: int | None = None,
    ) -> None:
        """`local_arxiv`: serve `papers_dir` as arXiv and read models and task data from the bundled
        fixtures, offline (the demo and the tests); off, the services talk to arxiv.org and the Hub as
        the environment says. `health_ports`: fixed ports per service (else free ones)."""
        self.database = database or f"paperverdict_run_{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:6]}"
        self.log_dir = log_dir or RUN_DIR / "logs" / self.database
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.papers_dir = papers_dir or ROOT / "fixtures" / "papers"
        self.local_arxiv = local_arxiv
        self.arxiv_port = free_port()
        self.api_port = api_port or free_port()
        self.with_api = with_api
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.health_ports: dict[str, int] = dict(health_ports or {})  # each service's /livez, /readyz, /metrics
        self.instances: dict[str, str] = {}  # process name -> service (two evaluators: "evaluator", "evaluator-2")
        offline = {
            "PV_ARXIV_BASE_URL": f"http://127.0.0.1:{self.arxiv_port}",
            "PV_ARXIV_API_URL": f"http://127.0.0.1:{self.arxiv_port}/api/query",
            "PV_ARXIV_REQUEST_INTERVAL_S": "0",
            "PV_EVAL_DATA_DIR": str(ROOT / "fixtures" / "demo-data"),  # sized for firm verdicts
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HUB_CACHE": str(ROOT / "fixtures" / "hub"),
        }
        self.env = {
            **os.environ,
            **infra_env,
            "PV_MONGO_DATABASE": self.database,
            **(offline if local_arxiv else {}),
            "PV_API_PORT": str(self.api_port),
            "PV_LOG_FORMAT": "json",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }

    # ------------------------------------------------------------ processes

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        logfile = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        logfile.close()
        self.procs[name] = proc
        return proc

    def start_arxiv_server(self) -> None:
        self._spawn(
            "arxiv_server",
            [
                str(PYTHON),
                "deploy/local/arxiv_server.py",
                "--port",
                str(self.arxiv_port),
                "--papers",
                str(self.papers_dir),
            ],
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.arxiv_port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the local arXiv server did not open port {self.arxiv_port}")

    def start_service(self, name: str, instance: str | None = None) -> subprocess.Popen[bytes]:
        """Start service `name` (again, after a kill) as process `instance` (default: the name), its
        health port free on this machine, kept across restarts."""
        instance = instance or name
        self.instances[instance] = name
        port = self.health_ports.setdefault(instance, free_port())
        argv = [str(FASTSTREAM), "run", f"services.{name}.app:app"]
        return self._spawn(instance, argv, {"PV_HEALTH_PORT": str(port)})

    def start_api(self) -> subprocess.Popen[bytes]:
        return self._spawn("api", [str(PYTHON), "-m", "services.api"])

    def health_url(self, instance: str) -> str:
        return f"http://127.0.0.1:{self.health_ports[instance]}"

    def ready(self, instance: str) -> bool:
        """Whether the process answers 200 on /readyz."""
        try:
            with urllib.request.urlopen(f"{self.health_url(instance)}/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:  # refused, or 503 (HTTPError)
            return False

    def start(self) -> None:
        if self.local_arxiv:
            self.start_arxiv_server()
        for name in SERVICES:
            self.start_service(name)
        if self.with_api:
            self.start_api()
        log(f"started {', '.join(self.procs)}; logs in {self.log_dir.relative_to(ROOT)}; database {self.database}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        os.killpg(proc.pid, sig)
        proc.wait(timeout=60)

    def restart(self, name: str) -> None:
        if name == "arxiv_server":
            self.start_arxiv_server()
        elif name == "api":
            self.start_api()
        else:
            self.start_service(self.instances.get(name, name), name)

    def dead(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def stop(self, grace_s: float = 30.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace_s
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop on SIGTERM within {grace_s:.0f}s: SIGKILL")
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # ------------------------------------------------------------ pipeline I/O

    async def publish(self, *arxiv_ids: str) -> None:
        from services.cli.main import _publish
        from shared.messages import IngestPaper

        os.environ.update({k: v for k, v in self.env.items() if k.startswith("PV_")})
        await _publish([IngestPaper(arxiv_id=a, requested_by="run_demo") for a in arxiv_ids])

    async def document(self, arxiv_id: str) -> Any:
        from motor.motor_asyncio import AsyncIOMotorClient

        from services.publisher.store import PublisherStore

        client = AsyncIOMotorClient(self.env["PV_MONGO_URL"], tz_aware=True, serverSelectionTimeoutMS=5000)
        try:
            return await PublisherStore(client[self.database]).get_document(arxiv_id)
        finally:
            client.close()

    async def wait_for_verdicts(self, arxiv_id: str, timeout_s: float, *, poll_s: float = 2.0) -> Any:
        """The published document once every expected claim has a POST verdict; None on time-out."""
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            dead = [n for n in self.dead() if n != "api" or self.with_api]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited early:\n" + "\n".join(self.log_tail(n) for n in dead))
            doc = await self.document(arxiv_id)
            if doc is not None:
                done = sum(1 for entry in doc.claims if entry.verdicts.post is not None)
                state = (doc.expected_claims, done)
                if state != last:
                    log(
                        f"{arxiv_id}: {done} of {doc.expected_claims if doc.expected_claims is not None else '?'} "
                        "POST verdicts published"
                    )
                    last = state
                if doc.expected_claims is not None and done >= doc.expected_claims:
                    return doc
            await asyncio.sleep(poll_s)
        return None


def ensure_infra(skip_install: bool) -> dict[str, str]:
    if not skip_install:
        log("deploy/install.sh")
        subprocess.run(["bash", str(ROOT / "deploy" / "install.sh")], cwd=ROOT, check=True)
    log("deploy/local/up.sh")
    subprocess.run(["bash", str(ROOT / "deploy" / "local" / "up.sh")], cwd=ROOT, check=True, stdout=sys.stderr)
    return {k: v for k, v in read_env_file(SERVICES_ENV).items() if k.startswith("PV_")}


async def demo(pipeline: Pipeline, arxiv_id: str, timeout_s: float) -> int:
    started = time.monotonic()
    await pipeline.publish(arxiv_id)
    log(f"published {arxiv_id}; waiting up to {timeout_s:.0f}s for its verdicts")
    doc = await pipeline.wait_for_verdicts(arxiv_id, timeout_s)
    if doc is None:
        log(f"time limit of {timeout_s:.0f}s reached before every claim of {arxiv_id} had a POST verdict")
        for name in pipeline.procs:
            print(f"----- {name} (last lines) -----\n{pipeline.log_tail(name, 15)}", file=sys.stderr)
        partial = await pipeline.document(arxiv_id)
        if partial is not None:
            print(partial.model_dump_json(indent=2))
        return 1
    print(json.dumps(json.loads(doc.model_dump_json()), indent=2, ensure_ascii=False))
    log(
        f"{arxiv_id}: {doc.expected_claims} claims, all with POST verdicts, in {time.monotonic() - started:.0f}s; "
        f"headline verdict: {doc.verdict.status if doc.verdict else None}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Check the bundled fixture paper end to end.")
    parser.add_argument("--arxiv-id", default="2611.00001")
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("PV_RUN_TIMEOUT_S", "900")))
    parser.add_argument("--skip-install", action="store_true", help="do not run deploy/install.sh first")
    parser.add_argument("--stop-infra", action="store_true", help="stop Kafka and FerretDB at the end")
    args = parser.parse_args()

    pipeline: Pipeline | None = None
    try:
        infra = ensure_infra(args.skip_install)
        pipeline = Pipeline(infra)
        pipeline.start()
        return asyncio.run(demo(pipeline, args.arxiv_id, args.timeout))
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - report, then stop everything
        log(f"failed: {exc}")
        return 1
    finally:
        if pipeline is not None:
            log("stopping the services")
            pipeline.stop()
        if args.stop_infra:
            log("deploy/local/down.sh")
            subprocess.run(
                ["bash", str(ROOT / "deploy" / "local" / "down.sh")], cwd=ROOT, check=False, stdout=sys.stderr
            )


if __name__ == "__main__":
    sys.exit(main())
