"""The evaluator's untrusted bytes are parsed behind hard limits (`shared.isolation`), never in the service
process: a model folder's config and tokenizer files (a paper names the model; anyone can publish one on
the Hub) and task data files (a local `--data` folder).

- Before anything is parsed, file sizes are checked from `stat` alone (a 10 GB `config.json` is refused,
  not read).
- A model folder's config and tokenizer are then parsed in a child process with a memory and CPU limit
  and a wall-clock kill: JSON first (an `auto_map`, i.e. remote code, is refused there unless
  transformers implements the model type itself, as `from_pretrained` without remote code does), then
  `AutoConfig` and `AutoTokenizer` exactly as the loader will call them. Only after the child succeeded
  does the loader parse the same files itself; its weights are safetensors (no code, sizes checked).
- A data folder's files are parsed in one limited child before lm-eval's `datasets` reads them (one
  child per file only when that fails, so that the reason names the file): a file that is not JSON
  lines, too large, or nested to exhaust the parser costs its task, never the service process.
  Hub datasets are read by `datasets` itself (Arrow files it builds), as lm-eval reads them.

Every failure is permanent and says why: `Rejected("limit: memory over 2048 MiB during reading the
model's config and tokenizer")`, `Rejected("config.json is 12.0 MB, above the 1 MB limit")`.
"""

from __future__ import annotations

import json
import resource
from pathlib import Path
from typing import Any

from shared.architectures import remote_code_reason
from shared.isolation import ChildFailed, LimitExceeded, Limits, run_limited

# A parse may use this much heap (RLIMIT_DATA: torch's shared libraries are mapped, not counted) and CPU.
PARSE_LIMITS = Limits(memory_bytes=2 * 2**30, seconds=120.0, grace_seconds=15.0, rlimit=resource.RLIMIT_DATA)
# A JSON-lines split: HellaSwag's validation split (10,042 rows) parses in under 100 MB.
JSONL_LIMITS = Limits(memory_bytes=1 * 2**30, seconds=60.0, grace_seconds=10.0, rlimit=resource.RLIMIT_DATA)
MiB = 2**20
# The largest real files of these kinds are far smaller (Llama 3's tokenizer.json: 9 MB; chat templates
# in tokenizer_config.json: under 1 MB); config.json of any model is a few KB.
FILE_LIMITS = {
    "config.json": 1 * MiB,
    "generation_config.json": 1 * MiB,
    "tokenizer_config.json": 16 * MiB,
    "special_tokens_map.json": 1 * MiB,
    "tokenizer.json": 64 * MiB,
}
OTHER_FILE_LIMIT = 64 * MiB  # vocab.json, merges.txt, tokenizer.model, ...
DATA_FILE_LIMIT = 1024 * MiB  # one split of a task (MMLU's test split as JSON lines: 9 MB)


class Rejected(Exception):
    """The bytes cannot be used; the message is the permanent reason."""


def check_sizes(folder: Path) -> None:
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix == ".safetensors":  # weights: the loader's own size limit
            continue
        limit = FILE_LIMITS.get(path.name, OTHER_FILE_LIMIT)
        size = path.stat().st_size
        if size > limit:
            raise Rejected(f"{path.name} is {size / 1e6:.1f} MB, above the {limit // MiB} MB limit")


def json_object(path: Path) -> dict[str, Any]:
    value = json.loads(path.read_bytes())
    if not isinstance(value, dict):
        raise ValueError(f"{path.name} is not a JSON object")
    return value


def inspect_model_files(folder: str) -> dict[str, Any]:
    """(In the child.) Parse what the loader will parse; a summary of it comes back."""
    from transformers import AutoConfig, AutoTokenizer

    root = Path(folder)
    config = json_object(root / "config.json")
    _refuse_remote_code(
        config, json_object(root / "tokenizer_config.json") if (root / "tokenizer_config.json").exists() else {}
    )
    parsed = AutoConfig.from_pretrained(folder, trust_remote_code=False)
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    return {
        "model_type": parsed.model_type,
        "architectures": list(getattr(parsed, "architectures", None) or []),
        "vocab_size": getattr(parsed.get_text_config(), "vocab_size", None),
        "tokenizer_size": len(tokenizer),
    }


def _refuse_remote_code(config: dict[str, Any], tokenizer_config: dict[str, Any]) -> None:
    """A model that needs its repository's code is refused: remote code is never run
    (`shared.architectures`: the rule the extractor's Hub lookup applies too)."""
    reason = remote_code_reason(config, tokenizer_config)
    if reason is not None:
        raise PermissionError(reason)


def vet_model_folder(folder: Path, limits: Limits = PARSE_LIMITS) -> dict[str, Any]:
    """Sizes, then a limited child parses config and tokenizer; `Rejected` with the reason otherwise."""
    check_sizes(folder)
    if not (folder / "config.json").is_file():
        raise Rejected("the folder has no config.json")
    try:
        return run_limited(
            inspect_model_files,
            str(folder),
            limits=limits,
            what="reading the model's config and tokenizer",
            preload=["transformers"],
        )
    except LimitExceeded as error:
        raise Rejected(str(error)) from None
    except ChildFailed as error:
        raise Rejected(f"its config or tokenizer cannot be read: {error}") from None


def parse_jsonl(path: str) -> list[dict[str, Any]]:
    """(In the child.) One JSON object per non-empty line."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError(f"line {number} is not a JSON object")
                rows.append(row)
    return rows


def read_jsonl(path: Path, limits: Limits = JSONL_LIMITS) -> list[dict[str, Any]]:
    size = path.stat().st_size
    if size > DATA_FILE_LIMIT:
        raise Rejected(f"{path.name} is {size / 1e6:.1f} MB, above the {DATA_FILE_LIMIT // MiB} MB limit")
    try:
        return run_limited(parse_jsonl, str(path), limits=limits, what=f"reading {path.name}")
    except LimitExceeded as error:
        raise Rejected(str(error)) from None
    except ChildFailed as error:
        raise Rejected(f"{path.name} cannot be read: {error}") from None


def count_jsonl(paths: list[str]) -> list[int]:
    """(In the child.) Rows of each JSON-lines file (`parse_jsonl`'s checks on every line)."""
    return [len(parse_jsonl(path)) for path in paths]


def vet_jsonl_files(paths: list[Path], limits: Limits = JSONL_LIMITS) -> dict[Path, str]:
    """Why each file that cannot be used as task data cannot (none: all can). The files are parsed in
    one limited child; when it fails, one child a file, so that the reason names the file."""
    reasons = {}
    for path in paths:
        size = path.stat().st_size
        if size > DATA_FILE_LIMIT:
            reasons[path] = f"{path.name} is {size / 1e6:.1f} MB, above the {DATA_FILE_LIMIT // MiB} MB limit"
    rest = [path for path in paths if path not in reasons]
    if not rest:
        return reasons
    try:
        run_limited(count_jsonl, [str(path) for path in rest], limits=limits, what="reading the task data")
    except (LimitExceeded, ChildFailed):
        for path in rest:
            try:
                read_jsonl(path, limits)
            except Rejected as error:
                reasons[path] = str(error)
    return reasons


__all__ = ["PARSE_LIMITS", "Rejected", "read_jsonl", "vet_model_folder"]
