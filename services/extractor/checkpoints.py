"""The bundled index of open checkpoints (`data/checkpoints.jsonl`) and of model families
(`data/families.json`): what a printed model name can be resolved to without the Hub.

Each checkpoint is described by the fields a paper prints: family, version, size, variant (base or
instruct) and a release qualifier ("v0.3", "0424"), with its parameter count, release month and the
arXiv ids of the paper that introduced it (the Hub's `arxiv:` tags). An entry with `repo: null`
records a known checkpoint that has no official Hub repo (the original LLaMA), with the reason.
`paperverdict models refresh` checks the file against the Hub.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CHECKPOINTS_FILE = DATA / "checkpoints.jsonl"
FAMILIES_FILE = DATA / "families.json"


@dataclass(frozen=True)
class Checkpoint:
    repo: str | None
    family: str
    version: str | None
    size: str | None
    params_b: float | None
    variant: str  # "base" or "instruct"
    qualifier: str | None
    released: str | None  # "YYYY-MM"
    arxiv: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    why: str | None = None  # for repo None: why there is no official repo

    @property
    def released_key(self) -> int | None:
        """YYYYMM as a number, for comparison with a paper's date."""
        if not self.released or not re.fullmatch(r"\d{4}-\d{2}", self.released):
            return None
        return int(self.released[:4]) * 100 + int(self.released[5:])


@dataclass(frozen=True)
class Family:
    key: str
    names: tuple[str, ...]
    kind: str  # "open" or "proprietary"
    why: str | None = None
    org: str | None = None
    unversioned: str | None = None  # the printed version that means the first generation ("Llama 1")


def squash(text: str) -> str:
    """A name compared ignoring case and separators: "Code-Llama" == "codellama"."""
    return re.sub(r"[^a-z0-9.]+", "", text.lower())


class CheckpointIndex:
    def __init__(self, checkpoints: list[Checkpoint], families: dict[str, Family]) -> None:
        self.checkpoints = checkpoints
        self.families = families
        self.by_family: dict[str, list[Checkpoint]] = {}
        self.by_repo_name: dict[str, list[Checkpoint]] = {}
        self.by_alias: dict[str, list[Checkpoint]] = {}
        for c in checkpoints:
            self.by_family.setdefault(c.family, []).append(c)
            if c.repo:
                self.by_repo_name.setdefault(squash(c.repo.split("/", 1)[1]), []).append(c)
            for alias in c.aliases:
                self.by_alias.setdefault(squash(alias), []).append(c)
        names = sorted(((name, f.key) for f in families.values() for name in f.names), key=lambda p: -len(squash(p[0])))
        self._family_of = {squash(name): key for name, key in reversed(names)}
        # each family name matched with any separators between its letters' words: "code[\W_]*llama"
        alternatives = [r"[\s\-_]*".join(re.escape(w) for w in re.split(r"[\s\-_]+", n.lower()) if w) for n, _ in names]
        self.family_pattern = re.compile(r"(?<![a-z0-9])(" + "|".join(alternatives) + r")(?![a-z])")

    def family_named(self, matched: str) -> Family:
        return self.families[self._family_of[squash(matched)]]

    def family_by_name(self, name: str) -> Family | None:
        key = self._family_of.get(squash(name))
        return self.families[key] if key is not None else None

    @classmethod
    def from_files(cls, checkpoints: Path = CHECKPOINTS_FILE, families: Path = FAMILIES_FILE) -> CheckpointIndex:
        fams = {
            key: Family(
                key=key,
                names=tuple(v.get("names") or [key]),
                kind=v.get("kind", "open"),
                why=v.get("why"),
                org=v.get("org"),
                unversioned=v.get("unversioned"),
            )
            for key, v in json.loads(families.read_text(encoding="utf-8")).items()
        }
        entries = []
        for line in checkpoints.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            entries.append(
                Checkpoint(
                    repo=d.get("repo"),
                    family=d["family"],
                    version=_text(d.get("version")),
                    size=_text(d.get("size")),
                    params_b=d.get("params_b"),
                    variant=d.get("variant", "base"),
                    qualifier=_text(d.get("qualifier")),
                    released=d.get("released"),
                    arxiv=tuple(d.get("arxiv") or ()),
                    aliases=tuple(d.get("aliases") or ()),
                    why=d.get("why"),
                )
            )
        return cls(entries, fams)


def _text(value: object) -> str | None:
    return None if value is None else str(value).lower()


@lru_cache(maxsize=1)
def bundled_index() -> CheckpointIndex:
    return CheckpointIndex.from_files()
