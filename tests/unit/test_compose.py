"""docker-compose.yml stays runnable: valid for Compose, every service wired to Kafka and MongoDB,
health-gated, the evaluator on a GPU, and every topic of shared/topics.py created with its DLQ."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from shared import topics

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PIPELINE_SERVICES = ("ingestor", "extractor", "evaluator", "validator", "publisher")
APP_SERVICES = (*PIPELINE_SERVICES, "api")


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


@pytest.fixture(scope="module")
def compose() -> dict:
    """The compose file as Compose resolves it when a Compose binary is here, else as YAML says."""
    command = _compose_command()
    if command is None:
        return yaml.safe_load(COMPOSE_FILE.read_text())
    resolved = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert resolved.returncode == 0, f"{' '.join(command)} config rejected the file:\n{resolved.stderr}"
    return yaml.safe_load(resolved.stdout)


def test_compose_binary_accepts_the_file() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("neither docker-compose nor `docker compose` is installed (deploy/install.sh installs it)")
    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_every_service_is_declared(compose: dict) -> None:
    assert set(compose["services"]) == {"kafka", "kafka-topics", "mongo", *APP_SERVICES, "evaluator-cpu"}


def test_infrastructure_has_healthchecks(compose: dict) -> None:
    for name in ("kafka", "mongo"):
        healthcheck = compose["services"][name].get("healthcheck", {})
        assert healthcheck.get("test"), f"{name} has no healthcheck"
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert compose["services"]["mongo"]["image"] == "mongo:7"
    kafka_env = compose["services"]["kafka"]["environment"]
    assert kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper


def test_app_services_share_one_image_and_wait_for_healthy_infrastructure(compose: dict) -> None:
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile", name
        assert service["image"] == "paperverdict:latest", name
        assert service["environment"]["PV_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name
        assert service["environment"]["PV_MONGO_URL"] == "mongodb://mongo:27017/", name
        depends = service["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy", name
        assert depends["mongo"]["condition"] == "service_healthy", name
        assert depends["kafka-topics"]["condition"] == "service_completed_successfully", name
    assert (ROOT / "deploy" / "Dockerfile").is_file()


def test_services_run_their_own_entrypoints(compose: dict) -> None:
    for name in PIPELINE_SERVICES:
        command = compose["services"][name]["command"]
        assert command == ["faststream", "run", f"services.{name}.app:app"]
    api_command = compose["services"]["api"]["command"]
    assert api_command[:2] == ["uvicorn", "services.api.app:app"]
    assert "8080" in api_command


def test_only_the_evaluator_reserves_a_gpu(compose: dict) -> None:
    def gpu_devices(name: str) -> list[dict]:
        service = compose["services"][name]
        return service.get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", [])

    devices = gpu_devices("evaluator")
    assert any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devices)
    for name in APP_SERVICES:
        if name != "evaluator":
            assert gpu_devices(name) == [], name


def test_topic_init_creates_every_topic_and_its_dead_letter_topic(compose: dict) -> None:
    script = "\n".join(compose["services"]["kafka-topics"]["command"])
    listed = re.findall(r"\bpaperverdict\.[a-z_]+\.[a-z_]+\b", script)
    assert listed == list(topics.ALL)
    assert '"$topic.dlq"' in script.replace("$$", "$")
    assert topics.dead_letter(topics.ALL[0]) == f"{topics.ALL[0]}.dlq"  # the suffix the script appends
    assert "--partitions 3" in script


def test_cpu_profile_runs_the_evaluator_without_a_gpu(compose: dict) -> None:
    """`--profile cpu --scale evaluator=0` swaps in evaluator-cpu: same code and wiring, no GPU."""
    cpu, gpu = compose["services"]["evaluator-cpu"], compose["services"]["evaluator"]
    assert cpu["profiles"] == ["cpu"]
    assert "profiles" not in gpu  # a plain `up` keeps the GPU evaluator
    assert cpu["command"] == gpu["command"]
    assert cpu["environment"]["PV_EVAL_DEVICE"] == "cpu"
    assert cpu["environment"]["PV_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert cpu["depends_on"] == gpu["depends_on"]
    assert cpu.get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", []) == []


def test_evaluators_can_scale(compose: dict) -> None:
    """`--scale evaluator=N` needs no fixed container name and no host port on the evaluator."""
    for name in ("evaluator", "evaluator-cpu"):
        assert "container_name" not in compose["services"][name], name
        assert not compose["services"][name].get("ports"), name
    header = COMPOSE_FILE.read_text()
    assert "--scale evaluator=N" in header
    assert "--profile cpu up --build --scale evaluator=0" in header


def test_every_app_service_has_a_readiness_healthcheck(compose: dict) -> None:
    for name in (*APP_SERVICES, "evaluator-cpu"):
        service = compose["services"][name]
        probe = " ".join(service["healthcheck"]["test"])
        if name == "api":
            assert "8080/healthz" in probe
            continue
        assert "8100/readyz" in probe, name
        assert service["environment"]["PV_HEALTH_PORT"] == "8100"
        assert service["environment"]["PV_HEALTH_HOST"] == "0.0.0.0"


def test_only_the_evaluators_may_build_the_code_sandbox(compose: dict) -> None:
    """The sandbox needs user namespaces, mounts and a fresh /proc, which Docker's defaults forbid; no
    other service gets these options."""
    needed = {"seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"}
    for name, service in compose["services"].items():
        options = set(service.get("security_opt", []))
        assert options == (needed if name in ("evaluator", "evaluator-cpu") else set()), name
