"""What `make serve` does: keep the pipeline running in the foreground and feed it papers from
another terminal (`paperverdict publish ID`, `paperverdict status`, `paperverdict watch`).

    .venv/bin/python scripts/serve.py [--arxiv local|real] [--skip-install]

Kafka and MongoDB: the user's own when PV_KAFKA_BOOTSTRAP_SERVERS and PV_MONGO_URL are both set,
else Kafka + FerretDB from deploy/local (started here, and stopped again on exit if they were not
already running). Then the five services (health and metrics on the ports of
`shared.settings.HEALTH_PORTS`), the API and web page (PV_API_PORT, 8080), and, with `--arxiv local`,
the arXiv-compatible fixture server with the bundled models and data (offline); by default the real
arxiv.org, one request every 3 s, and the Hub.

A service that exits is restarted with backoff (1 s doubling to 60 s, reset after 5 minutes up) and
the restart is logged. Ctrl-C or SIGTERM stops everything within 30 s and exits 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from run_demo import RUN_DIR, SERVICES, Pipeline, ensure_infra  # noqa: E402

from shared.settings import HEALTH_PORTS  # noqa: E402

STABLE_S = 300.0  # a service up this long has its backoff reset
MAX_BACKOFF_S = 60.0


def say(message: str) -> None:
    print(f"[serve] {time.strftime('%H:%M:%S')} {message}", flush=True)


def infra_running() -> bool:
    return all(
        subprocess.run(
            ["bash", str(ROOT / "deploy" / "local" / f"{name}.sh"), "status"], check=False, capture_output=True
        ).returncode
        == 0
        for name in ("kafka", "ferretdb")
    )


def infra(skip_install: bool) -> tuple[dict[str, str], bool]:
    """The Kafka and MongoDB settings, and whether we started them (then we stop them on exit)."""
    if os.environ.get("PV_KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("PV_MONGO_URL"):
        say(f"using Kafka at {os.environ['PV_KAFKA_BOOTSTRAP_SERVERS']} and MongoDB from PV_MONGO_URL")
        return {k: v for k, v in os.environ.items() if k in ("PV_KAFKA_BOOTSTRAP_SERVERS", "PV_MONGO_URL")}, False
    was_running = infra_running()
    return ensure_infra(skip_install), not was_running


class Supervisor:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.backoff = dict.fromkeys(pipeline.procs, 1.0)
        self.started_at = dict.fromkeys(pipeline.procs, time.monotonic())
        self.due: dict[str, float] = {}  # name -> when to restart it

    def tick(self) -> None:
        now = time.monotonic()
        for name in self.pipeline.dead():
            if name in self.due:
                continue
            if now - self.started_at[name] > STABLE_S:
                self.backoff[name] = 1.0
            code = self.pipeline.procs[name].returncode
            delay = self.backoff[name]
            say(f"{name} exited with code {code}; restarting in {delay:.0f}s (log: {self.log(name)})")
            self.due[name] = now + delay
            self.backoff[name] = min(MAX_BACKOFF_S, delay * 2)
        for name, when in list(self.due.items()):
            if now >= when:
                self.pipeline.restart(name)
                self.started_at[name] = time.monotonic()
                del self.due[name]
                say(f"{name} restarted (pid {self.pipeline.procs[name].pid})")

    def log(self, name: str) -> str:
        return str((self.pipeline.log_dir / f"{name}.log").relative_to(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the pipeline in the foreground until Ctrl-C or SIGTERM.")
    parser.add_argument("--arxiv", choices=("real", "local"), default=os.environ.get("ARXIV", "real") or "real")
    parser.add_argument("--skip-install", action="store_true")
    parser.add_argument("--database", default=os.environ.get("PV_MONGO_DATABASE", "paperverdict"))
    args = parser.parse_args()

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    env, started_infra = infra(args.skip_install)
    pipeline = Pipeline(
        env,
        database=args.database,
        log_dir=RUN_DIR / "logs" / "serve",
        local_arxiv=args.arxiv == "local",
        health_ports=dict(HEALTH_PORTS),
        api_port=int(os.environ.get("PV_API_PORT", "8080")),
    )
    began = time.monotonic()
    try:
        pipeline.start()
        for name in SERVICES:
            say(
                f"{name:10} health {pipeline.health_url(name)}/readyz  metrics /metrics  log {pipeline.log_dir.relative_to(ROOT)}/{name}.log"
            )
        say(f"{'api':10} http://127.0.0.1:{pipeline.api_port}/ (web page), /papers/{{arxiv_id}}")
        say(
            f"arXiv: {'the local fixture server (bundled papers, models and data)' if pipeline.local_arxiv else 'arxiv.org, one request every 3 s'}"
        )
        supervisor = Supervisor(pipeline)
        announced = False
        while not stopping:
            supervisor.tick()
            if not announced and all(pipeline.ready(n) for n in SERVICES):
                say(
                    f"all five services ready after {time.monotonic() - began:.0f}s; try: .venv/bin/paperverdict publish 2611.00001"
                )
                announced = True
            time.sleep(0.5)
        say("stopping")
        return 0
    finally:
        pipeline.stop(grace_s=25.0)
        if started_infra:
            subprocess.run(
                ["bash", str(ROOT / "deploy" / "local" / "down.sh")], cwd=ROOT, check=False, stdout=sys.stderr
            )
        say(f"stopped after {time.monotonic() - began:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
