"""All configuration, one pydantic-settings class per concern, read from env (prefix PV_...).

Created once in each service's composition root (`services/<name>/app.py`), never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# PV_EVAL_DTYPE's values: "auto" (the checkpoint's own on a GPU) and the float types weights load in
WeightsDtype = Literal["auto", "bfloat16", "float16", "float32"]
WEIGHT_DTYPES: tuple[str, ...] = get_args(WeightsDtype)


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PV_KAFKA_")

    bootstrap_servers: str = "127.0.0.1:9092"
    # Long evaluations must not fall out of the consumer group.
    max_poll_interval_ms: int = 3_600_000
    session_timeout_ms: int = 30_000
    max_message_bytes: int = 1_000_000
    retry_attempts: int = 5
    retry_backoff_s: float = 0.5
    # an upstream outage (arXiv, the Hub: shared.errors.UpstreamUnavailable) is waited out, the partition
    # paused, with exponential backoff and jitter from outage_backoff_s up to outage_max_backoff_s a try,
    # for this long since the first failure; only then is the message dead-lettered (shared/outage.py)
    outage_horizon_s: float = 6 * 3600.0
    outage_backoff_s: float = 1.0
    outage_max_backoff_s: float = 300.0


class MongoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PV_MONGO_")

    url: SecretStr = SecretStr("mongodb://127.0.0.1:27017/")
    database: str = "paperverdict"


class ArxivSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PV_ARXIV_")

    base_url: str = "https://arxiv.org"  # /abs, /e-print, /pdf, /html
    api_url: str = "https://export.arxiv.org/api/query"  # Atom API
    request_interval_s: float = 3.0  # arXiv asks for one request every 3 s
    timeout_s: float = 60.0
    max_retries: int = 4
    max_download_bytes: int = 200_000_000
    # hosts the client may talk to (and be redirected to), besides those of base_url and api_url; https
    # only, except for loopback hosts (a local mirror)
    allowed_hosts: list[str] = ["arxiv.org", "export.arxiv.org", "www.arxiv.org"]
    max_redirects: int = 3
    user_agent: str = "paperverdict/0.1 (+https://github.com/paperverdict/paperverdict)"


class ExtractorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PV_EXTRACT_")

    max_unpacked_bytes: int = 300_000_000
    max_files: int = 5_000
    max_seconds: float = 60.0  # the parser's own deadline; the process is killed `grace_seconds` later
    grace_seconds: float = 5.0
    max_memory_bytes: int = 1_500_000_000  # address space of the parser process
    max_claims: int = 5_000  # a paper with more result cells than this is refused, not truncated
    max_table_cells: int = 20_000  # a tabular with more cells is refused before it is analysed


class HubSettings(BaseSettings):
    """Where model names are checked online (services/extractor/hub.py); off unless enabled."""

    model_config = SettingsConfigDict(env_prefix="PV_HUB_")

    endpoint: str = "https://huggingface.co"
    token: SecretStr | None = None  # only this token is sent, never one saved on the machine
    timeout: float = 10.0  # seconds for one Hub call, retries included
    enabled: bool = False  # online lookups are opt-in
    cache_days: float = 30.0  # a cached answer (MongoDB model_resolutions) is asked again after this long


class EvaluatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PV_EVAL_")

    device: str = "auto"  # auto | cpu | cuda
    data_dir: Path | None = None  # local task data; None -> `datasets` from the Hub at pinned revisions
    max_model_bytes: int = 40_000_000_000
    # weights on a GPU: "auto" is the checkpoint's own dtype (config.json's), as lm-eval's HFLM loads
    # by default; on the CPU always float32 unless one is named
    dtype: WeightsDtype = "auto"
    max_examples: int | None = None  # per-claim budget: a seeded stratified slice above this
    slice_seed: int = 1234
    token_budget: int = 16_384  # tokens per forward pass (log-likelihood batches, generation's prompt pass)
    # generation: a batch's key/value cache may fill this share of the memory the device has free
    # (GPU: the driver's; CPU: the host's or the container's), at most `generation_rows` rows
    kv_cache_fraction: float = Field(default=0.5, gt=0.0, le=0.95)
    generation_rows: int = Field(default=256, ge=1)
    hf_token: SecretStr | None = None
    # a model id may name a local folder only when this is on (the CLI's --model DIR); in the service a
    # paper's "org/name" must never resolve to a folder on this machine
    allow_local_models: bool = False
    # lm-eval tasks (issue 18): a folder of local task configs (`include` lm-eval's task, point it at
    # local documents; see docs/evaluator.md), and the switch that keeps task data off the Hub (as
    # HF_HUB_OFFLINE / HF_DATASETS_OFFLINE do): offline, a task without local data is unsupported
    lmeval_include_path: Path | None = None
    offline: bool = False


class SandboxSettings(BaseSettings):
    """Limits of the sandbox that runs generated code (HumanEval, MBPP; `services/evaluator/sandbox.py`)."""

    model_config = SettingsConfigDict(env_prefix="PV_SANDBOX_")

    cpu_s: int = 10  # CPU seconds per program (RLIMIT_CPU)
    wall_s: float = 20.0  # wall-clock seconds, then the whole namespace is killed
    memory_mb: int = 512  # address space per process (RLIMIT_AS); worst case processes × this
    processes: int = 16  # processes of the sandbox uid (RLIMIT_NPROC)
    file_mb: int = 16  # largest file written, stdout included (RLIMIT_FSIZE)
    tmp_mb: int = 64  # size of the writable /tmp (tmpfs)
    uid: int = 65534  # unprivileged uid the program runs as (nobody)


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PV_API_")

    host: str = "127.0.0.1"
    port: int = 8080


# Each service's health and metrics port when PV_HEALTH_PORT is not set (the CLI's `status` reads the same).
HEALTH_PORTS = {"ingestor": 8101, "extractor": 8102, "evaluator": 8103, "validator": 8104, "publisher": 8105}


class HealthSettings(BaseSettings):
    """Where a service serves /livez, /readyz and /metrics, and when its consumers count as stuck."""

    model_config = SettingsConfigDict(env_prefix="PV_HEALTH_")

    host: str = "127.0.0.1"  # 0.0.0.0 in containers
    port: int | None = None  # None -> HEALTH_PORTS[service]
    # a consumer that has neither fetched nor been busy with a message for this long is not ready
    stale_poll_s: float = 60.0

    def port_for(self, service: str) -> int:
        return self.port if self.port is not None else HEALTH_PORTS.get(service, 8100)


class StatusSettings(BaseSettings):
    """Where `paperverdict status` finds the services: `name=http://host:port` pairs, comma-separated."""

    model_config = SettingsConfigDict(env_prefix="PV_STATUS_")

    services: str = ",".join(f"{name}=http://127.0.0.1:{port}" for name, port in HEALTH_PORTS.items())

    def endpoints(self) -> list[tuple[str, str]]:
        pairs = [item.partition("=") for item in self.services.split(",") if item.strip()]
        return [(name.strip(), url.strip().rstrip("/")) for name, _, url in pairs]


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PV_LOG_")

    format: str = "auto"  # json | console | auto (console on a terminal)
    level: str = "INFO"
