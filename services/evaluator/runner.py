"""One claim -> one measurement. Loads (or reuses) the model, runs the planned protocol, and turns
everything that can go wrong for a user-visible reason (missing model, refused model, unsupported
task, missing data, out of memory) into a measurement with `failure` set instead of an exception."""

from __future__ import annotations

import gzip
import io
import json
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.evaluator.lm_backend import UnsupportedRequest
from services.evaluator.lm_eval_catalog import LmEvalCatalog, LmEvalTaskInfo, go_offline, hub_offline
from services.evaluator.lm_eval_plan import map_variant, result_key, slice_documents
from services.evaluator.lm_eval_runs import LmEvalTaskError, examples_used, run_lm_eval_task, sample_records
from services.evaluator.lmeval_tasks.code_tasks import code_task_refusal
from services.evaluator.models import LoadedModel, ModelLoader, ModelLoadError, public_model_id
from services.evaluator.planner import protocol_key
from shared.ids import measurement_id
from shared.models import Claim, Measurement, RunProtocol
from shared.settings import EvaluatorSettings
from shared.topics import model_key


class EvaluationRunner:
    def __init__(
        self,
        settings: EvaluatorSettings,
        models: ModelLoader,
        catalog: LmEvalCatalog | None = None,
    ) -> None:
        self.settings = settings
        self.models = models
        self.catalog = catalog or lm_eval_catalog(settings)
        self._lms: dict[tuple[str, str], Any] = {}

    def lm_eval_task(self, task: str) -> LmEvalTaskInfo | str:
        """What the lm-eval task is (version, config hash, data), or why it cannot run here (a code task
        without a working sandbox included)."""
        info = self.catalog.describe(task)
        if isinstance(info, str):
            return info
        return code_task_refusal(task, info.metric_keys) or info

    @property
    def model_loads(self) -> int:
        return self.models.loads

    def measurement_key(self, claim: Claim, protocol: RunProtocol) -> str | None:
        """The id the measurement of (claim, protocol) will have, without loading the model: lets the
        caller answer a repeated claim from the cache."""
        try:
            sha, dtype = self.models.pinned(claim.model_id or "", protocol.model_revision)
        except ModelLoadError:
            return None
        revision = protocol.data_revision  # the planner put the task's data revision in the protocol
        if protocol.task is None or not revision:
            return None
        run = protocol.model_copy(update={"dtype": dtype})  # the dtype the load will use
        return measurement_id(sha, protocol.task, protocol_key(run), revision)

    def measure(self, claim: Claim, protocol: RunProtocol) -> tuple[Measurement, bytes | None]:
        return self.run(model_key(claim.model_id), protocol)

    def run(self, model_id: str, protocol: RunProtocol) -> tuple[Measurement, bytes | None]:
        """The measurement of `protocol` on `model_id` and its gzipped per-example records."""
        started = time.perf_counter()
        task = protocol.benchmark
        local = self.settings.allow_local_models  # as ModelLoader.resolve decides
        public_id = public_model_id(model_id) if local else model_id  # no path of this machine is recorded

        def failed(reason: str, **extra: Any) -> tuple[Measurement, None]:
            if public_id != model_id:
                reason = reason.replace(str(Path(model_id).resolve()), public_id).replace(model_id, public_id)
            key = measurement_id(extra.get("model_revision") or public_id, task, "failed", reason)
            return Measurement(
                measurement_id=key,
                model_id=public_id,
                task=task,
                protocol=protocol,
                failure=reason,
                seconds=time.perf_counter() - started,
                **extra,
            ), None

        if protocol.task is None:
            return failed(f"no lm-eval task is planned for {task!r}")
        return self._run_lm_eval(model_id, public_id, protocol, failed)

    def _run_lm_eval(
        self, model_id: str, public_id: str, protocol: RunProtocol, failed: Callable[..., tuple[Measurement, None]]
    ) -> tuple[Measurement, bytes | None]:
        """An lm-eval task with our engine as lm-eval's model; the task and its data are checked
        before the model is loaded."""
        task = protocol.task or ""
        info = self.lm_eval_task(task)
        if isinstance(info, str):
            return failed(info)
        variant = map_variant(task)
        key_metric = result_key(protocol.metric, info.metric_keys, variant)
        if key_metric is None:
            return failed(f"metric {protocol.metric!r} is not reported by lm-eval task {task!r}")
        try:
            loaded = self.models.load(model_id, protocol.model_revision)
        except ModelLoadError as error:
            return failed(str(error))
        if protocol.chat_template and not getattr(loaded.tokenizer, "chat_template", None):
            return failed(
                f"model {public_id!r} has no chat template to apply (its tokenizer defines none)",
                model_revision=loaded.revision,
            )
        run = protocol.model_copy(
            update={
                "model_revision": loaded.revision,
                "dtype": loaded.dtype,
                "data_revision": info.data_revision,
                "task_version": info.version,
                "task_config_hash": info.config_hash,
                "lm_eval_version": info.lm_eval_version,
            }
        )
        key = measurement_id(loaded.revision, task, protocol_key(run), info.data_revision)
        started = time.perf_counter()
        _reset_peak_memory(loaded.device)
        lm = self._lm(loaded)
        tokens_before = lm.engine.stats.forward_tokens
        sliced = not run.full_set
        counted: dict[str, int] = {}

        def select(sizes: dict[str, int]) -> dict[str, list[int]]:
            counted.update(sizes)
            return slice_documents(sizes, run.examples, run.slice_seed or 0)

        try:
            result = run_lm_eval_task(
                lm,
                task,
                None if variant is not None and variant.fixed_shots else run.n_shot,
                run.examples if sliced and run.slice_seed is None else None,
                include_path=self.catalog.include_path,
                include_defaults=not self.catalog.offline,
                task_manager=self.catalog.manager,
                apply_chat_template=run.chat_template,
                fewshot_as_multiturn=run.fewshot_as_multiturn,
                system_instruction=run.system_prompt,
                select=select if sliced and run.slice_seed is not None else None,
            )
        except (LmEvalTaskError, UnsupportedRequest) as error:
            return failed(str(error), model_revision=loaded.revision)
        except Exception as error:
            if not _is_out_of_memory(error):
                raise
            return _out_of_memory(loaded, task, failed)
        if key_metric not in result.metrics:
            return failed(f"lm-eval task {task!r} reported no {key_metric!r}", model_revision=loaded.revision)
        used = examples_used(result)
        if sliced and counted and used >= sum(counted.values()):  # the budget covered every document
            sliced = False
        run = run.model_copy(update={"examples": used, "full_set": not sliced})
        measurement = Measurement(
            measurement_id=key,
            model_id=public_id,
            model_revision=loaded.revision,
            task=task,
            protocol=run,
            value=result.metrics[key_metric],
            stderr=result.stderrs.get(key_metric),
            metric=run.metric,
            examples_used=used,
            is_slice=sliced,
            device=loaded.device,
            seconds=time.perf_counter() - started,
            tokens=lm.engine.stats.forward_tokens - tokens_before,
            peak_memory_bytes=_peak_memory(loaded.device),
        )
        return measurement, records_blob(sample_records(result))

    def _lm(self, loaded: LoadedModel) -> Any:
        """Our engine as an lm-eval model, one per loaded model."""
        from services.evaluator.lm_backend import PaperverdictLM

        key = (loaded.model_id, loaded.revision)
        if key not in self._lms:
            lm = PaperverdictLM(model=loaded.model, tokenizer=loaded.tokenizer, settings=self.settings)
            lm.loaded = loaded
            self._lms[key] = lm
        return self._lms[key]


def lm_eval_catalog(settings: EvaluatorSettings) -> LmEvalCatalog:
    """lm-eval's tasks as this process sees them: offline (PV_EVAL_OFFLINE, or HF_HUB_OFFLINE /
    HF_DATASETS_OFFLINE set), only the local task configs, and `datasets` never asks the Hub. The task
    folders of PV_EVAL_DATA_DIR are local configs too (`lm_eval_data_dir.py`)."""
    offline = settings.offline or hub_offline()
    if offline:
        go_offline()
    return LmEvalCatalog(settings.lmeval_include_path, offline=offline, data_dir=settings.data_dir)


def records_blob(records: list[dict[str, Any]]) -> bytes:
    """gzipped JSON lines, byte-for-byte deterministic (no timestamp in the gzip header)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as handle:
        for record in records:
            handle.write((json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode())
    return buffer.getvalue()


def build_runner(settings: EvaluatorSettings) -> EvaluationRunner:
    """The composition the evaluator service uses: one model loader and one task catalog per process."""
    return EvaluationRunner(settings, ModelLoader(settings))


def _out_of_memory(
    loaded: LoadedModel, task: str, failed: Callable[..., tuple[Measurement, None]]
) -> tuple[Measurement, None]:
    """The failed measurement of a run that ran out of device memory (the memory is released first)."""
    _release_memory(loaded.device)
    return failed(
        f"out of memory on {loaded.device} evaluating {task} with {loaded.parameters:,} "
        f"parameters; lower PV_EVAL_TOKEN_BUDGET (or PV_EVAL_KV_CACHE_FRACTION for generation) or use a larger device",
        model_revision=loaded.revision,
        device=loaded.device,
    )


def _is_out_of_memory(error: BaseException) -> bool:
    import torch

    return isinstance(error, (torch.OutOfMemoryError, MemoryError)) or "out of memory" in str(error).lower()


def _reset_peak_memory(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()


def _peak_memory(device: str) -> int:
    import torch

    if device.startswith("cuda"):
        return int(torch.cuda.max_memory_allocated())
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024  # process peak RSS (Linux: KiB)


def _release_memory(device: str) -> None:
    import gc

    import torch

    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
