"""Task data: a local folder (tests, the bundled demo, air-gapped runs) or `datasets` from the Hub at
pinned revisions (production). Both give plain dict rows in each dataset's own schema.

Local layout (see fixtures/MODEL.md): `<data_dir>/<folder>/[<subset>/]<split>.jsonl` and a
`<data_dir>/<folder>/REVISION` file naming the data revision.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from services.evaluator import vetting
from services.evaluator.tasks.base import TaskSpec
from shared.benchmarks import REGISTRY

# Hub revisions the evaluator reads (the commits SmolLM2's published evaluation pinned, where known).
# A dataset missing here is read at the commit `main` points to when first used, and that commit is
# what the measurement records.
PINNED_REVISIONS: dict[str, str] = {
    "allenai/ai2_arc": "210d026faf9955653af8916fad021475a3f00453",
    "cais/mmlu": "c30699e8356da336a370243923dbaf21066bb9fe",
}


class DataUnavailable(LookupError):
    """The data of a task (split, subset) is not in this source."""


class DataRejected(DataUnavailable):
    """The data is there but cannot be used (over a size, memory or time limit, not JSON): the reason."""


class TaskDataSource(Protocol):
    def revision(self, spec: TaskSpec) -> str: ...

    def rows(self, spec: TaskSpec, split: str, subset: str | None = None) -> list[dict[str, Any]]: ...

    def subsets(self, spec: TaskSpec) -> tuple[str, ...]: ...

    def available(self) -> dict[str, int]: ...


class LocalDataSource:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.rejected: dict[str, str] = {}  # task key -> why its data cannot be used

    def _folder(self, spec: TaskSpec, subset: str | None) -> Path:
        base = self.root / spec.folder
        return base / subset if subset else base

    def revision(self, spec: TaskSpec) -> str:
        marker = self.root / spec.folder / "REVISION"
        if not marker.exists():
            raise DataUnavailable(f"no data for {spec.key!r} under {self.root} (expected {marker})")
        # the first line is the revision; lines after it may say where each split came from
        lines = marker.read_text(encoding="utf-8").strip().splitlines()
        if not lines or not lines[0].strip():
            raise DataUnavailable(f"empty REVISION for {spec.key!r} at {marker}")
        return lines[0].strip()

    def rows(self, spec: TaskSpec, split: str, subset: str | None = None) -> list[dict[str, Any]]:
        path = self._folder(spec, subset) / f"{split}.jsonl"
        if not path.exists():
            raise DataUnavailable(f"no {split!r} split for {spec.key!r}{f'/{subset}' if subset else ''} at {path}")
        return _read_jsonl(path, path.stat().st_mtime_ns)

    def subsets(self, spec: TaskSpec) -> tuple[str, ...]:
        if not spec.subsets:
            return ()
        return tuple(s for s in spec.subsets if (self._folder(spec, s) / f"{spec.eval_split}.jsonl").exists())

    def count(self, spec: TaskSpec) -> int:
        """Documents in the task's evaluation split; 0 when absent or rejected (the reason goes to
        `rejected`, so that one unreadable file costs its task, not every task)."""
        try:
            if spec.subsets:
                return sum(len(self.rows(spec, spec.eval_split, s)) for s in self.subsets(spec))
            return len(self.rows(spec, spec.eval_split))
        except DataRejected as error:
            self.rejected[spec.key] = str(error)
            return 0
        except DataUnavailable:
            folder = self.root / spec.folder
            if folder.is_dir():  # data for the task, but not the split it is evaluated on
                present = sorted({p.stem for p in folder.rglob("*.jsonl")})
                self.rejected[spec.key] = (
                    f"{spec.key} is evaluated on its {spec.eval_split!r} split, which "
                    f"{folder} does not have (it has: {', '.join(present) or 'none'})"
                )
            return 0

    def available(self) -> dict[str, int]:
        from services.evaluator.tasks.registry import COMPOSITES, TASKS

        counts = {key: n for key, spec in TASKS.items() if (n := self.count(spec))}
        for key, parts in COMPOSITES.items():
            if all(p in counts for p in parts):
                counts[key] = sum(counts[p] for p in parts)
        return counts


@lru_cache(maxsize=256)
def _read_jsonl(path: Path, mtime_ns: int) -> list[dict[str, Any]]:
    """Parsed in a limited child (`vetting`); cached per (path, mtime) in this process."""
    try:
        return vetting.read_jsonl(path)
    except vetting.Rejected as error:
        raise DataRejected(f"task data {path.parent.name}/{path.name}: {error}") from None


class HubDataSource:
    """`datasets.load_dataset(path, config, split=..., revision=<pinned sha>)`; rows cached per split."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self._resolved: dict[str, str] = {}
        self._rows: dict[tuple[str, str | None, str], list[dict[str, Any]]] = {}

    def _revision_of(self, path: str) -> str:
        if path not in self._resolved:
            pinned = PINNED_REVISIONS.get(path)
            if pinned is None:
                from huggingface_hub import HfApi

                pinned = HfApi(token=self.token).dataset_info(path, revision="main").sha or "main"
            self._resolved[path] = pinned
        return self._resolved[path]

    def revision(self, spec: TaskSpec) -> str:
        return self._revision_of(spec.hub_path)

    def rows(self, spec: TaskSpec, split: str, subset: str | None = None) -> list[dict[str, Any]]:
        config = subset or spec.hub_config
        key = (spec.hub_path, config, split)
        if key not in self._rows:
            revision = self._revision_of(spec.hub_path)
            try:
                self._rows[key] = vetting.read_hub_rows(spec.hub_path, config, split, revision, self.token)
            except vetting.Rejected as error:  # a split that does not exist, or data over a limit
                raise DataUnavailable(f"{spec.hub_path} ({config}) {split!r}: {error}") from None
        return self._rows[key]

    def subsets(self, spec: TaskSpec) -> tuple[str, ...]:
        return spec.subsets

    def available(self) -> dict[str, int]:
        """Sizes of the evaluation splits as published (the Hub is not asked)."""
        return dict(PUBLISHED_SIZES)


PUBLISHED_SIZES: dict[str, int] = {b.key: b.published_size for b in REGISTRY}


def data_source(data_dir: Path | None, token: str | None = None) -> LocalDataSource | HubDataSource:
    return LocalDataSource(data_dir) if data_dir is not None else HubDataSource(token)
