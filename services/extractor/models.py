"""Model resolution offline: a printed row/column name -> a Hugging Face repo id, or the reason there is
none. Sources, most trusted first, each decision kept with its evidence:

1. a huggingface.co link in the cell itself;
2. a link elsewhere in the paper whose repo name (or \\href anchor text) is the printed name;
3. the printed name is a repo's own name ("gemma-3-1b-it", "Qwen2.5-14B-Instruct");
4. family + version + size + variant + release qualifier read across header levels, looked up in the
   bundled index (`checkpoints.py`), restricted to checkpoints released by the paper's month; among
   several, the paper's own (the index's arXiv tags) is taken, else the name is ambiguous.

Precision first: a name with a word the index cannot place ("Distill", "+ Diag.", "Chinese") is a
variant the paper made, never its base model; an ambiguous name lists its candidates; proprietary
families and checkpoints without an official repo say so. The Hub (the paper's tagged models, search)
is consulted afterwards, online, by `hub_resolution.py`, only for names nothing here decided.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from services.extractor.checkpoints import Checkpoint, CheckpointIndex, bundled_index, squash
from services.extractor.model_names import PrintedModel, parse_model_name, size_in_billions

HF_LINK = re.compile(
    r"huggingface\.co/(?!datasets/|spaces/|docs/|blog/|papers/|models\?|api/)"
    r"([A-Za-z0-9][\w.\-]{0,95})/([A-Za-z0-9][\w.\-]{0,95}?)(?=[.,;:]?(?:[\s}\]#?\"')]|$))"
)
_HREF = re.compile(r"\\href\s*\{([^{}]{1,300})\}\s*\{([^{}]{1,200})\}")
_FAMILY = re.compile(
    r"\b(?:llama|qwen|mistral|mixtral|gemma|smollm|olmo|pythia|falcon|bloom|tinyllama|mpt|deepseek|internlm|"
    r"baichuan|stablelm|claude|gemini|palm|chinchilla|gopher|vicuna|alpaca|zephyr|openelm|mobilellm|minicpm|"
    r"granite|galactica|xglm|dbrx|jamba|mamba|rwkv|hymba|cerebras|redpajama|openllama|starcoder|codellama|"
    r"gpt[\s\-]?(?:2|3|4|j|neo|neox|3\.5|4o)|phi[\s\-]?\d|opt[\s\-]\d|yi[\s\-]\d|t5|flan|ourmodel|ours)"
)
_SIZE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s*[BM]\b")
_BARE_SIZE = re.compile(r"\s*(?:\d+x)?\d+(?:\.\d+)?\s*[BMK]\s*", re.I)
_PROPRIETARY = re.compile(
    r"\b(?:gpt[\s\-]?(?:3\.5|4o?|4[\s\-]?turbo)|chatgpt|claude|gemini|palm|text-davinci|o1|grok)\b", re.I
)
_UNRELEASED = re.compile(r"unreleased|not released|internal|proprietary|closed", re.I)
_ABLATION_ROW = re.compile(
    r"^(?:w/o|w/|with|without|no|only|\+|-|–|−|baseline|ablat|remove|drop|replace|swap)(?:\b|\s|$)", re.I
)
MENTION_CHARS = 4_000_000  # where a release's exact name is looked for: bounded, whatever the expansion
_METHOD = re.compile(r"\s\+\s?|\bw/o?\b|\bours\b|\bablat", re.I)
_PARENTHETICAL = re.compile(r"\s*[\(\[][^()\[\]]*[\)\]]\s*")


def normalize(name: str) -> str:
    """Compare model names ignoring case, spaces, hyphens, underscores and a trailing '-hf'."""
    key = re.sub(r"[\s\-_]+", "", name.lower())
    return key[:-2] if key.endswith("hf") and len(key) > 4 else key


def collect_links(texts: Iterable[str]) -> dict[str, str]:
    """Normalised repo name (and \\href anchor text) -> repo id, for every huggingface.co model link."""
    links: dict[str, str] = {}
    for text in texts:
        if "huggingface.co" not in text:
            continue
        for m in HF_LINK.finditer(text):
            repo = f"{m.group(1)}/{m.group(2)}"
            links.setdefault(normalize(m.group(2)), repo)
        for m in _HREF.finditer(text):
            link = HF_LINK.search(m.group(1))
            anchor = re.sub(r"\\[A-Za-z]+|[{}]", "", m.group(2)).strip()
            if link and anchor:
                links.setdefault(normalize(anchor), f"{link.group(1)}/{link.group(2)}")
    return links


def links_in(raw: str) -> list[str]:
    return [f"{m.group(1)}/{m.group(2)}" for m in HF_LINK.finditer(raw)]


@dataclass(frozen=True)
class Resolution:
    model_id: str | None
    source: str  # "link in cell", "link in paper", "repo name", "index", "index: the paper's own", ...
    reason: str | None  # why the model cannot be measured, when unresolved
    evidence: str = ""
    candidates: tuple[str, ...] = ()
    printed: str = ""
    want_instruct: bool = False
    hub_query: str | None = None  # nothing offline decided it: the Hub may (online only)


@dataclass
class ModelResolver:
    links: dict[str, str] = field(default_factory=dict)
    arxiv_id: str | None = None
    index: CheckpointIndex = field(default_factory=bundled_index)
    text: str = ""  # the paper's source: a release it names exactly ("Mistral-7B-Instruct-v0.2") settles a tie
    _named: dict[str, bool] = field(default_factory=dict, repr=False)

    @property
    def paper_month(self) -> int | None:
        """YYYYMM of a new-style arXiv id (2501.00656 -> 202501): no checkpoint released later is meant."""
        m = re.match(r"^(\d{2})(\d{2})\.\d{4,5}", self.arxiv_id or "")
        return 200000 + int(m.group(1)) * 100 + int(m.group(2)) if m and 1 <= int(m.group(2)) <= 12 else None

    def looks_like_model(self, text: str) -> bool:
        if not text or len(text) > 80:
            return False
        key = normalize(_PARENTHETICAL.sub(" ", text))
        if key in self.links or squash(text) in self.index.by_repo_name:
            return True
        return bool(_FAMILY.search(text.lower()) or _SIZE.search(text))

    def resolve(
        self,
        levels: list[str],
        *,
        instruct: bool = False,
        cell_links: list[str] | None = None,
        ablation: bool = False,
        mixed: bool = False,
        stated: bool = False,
    ) -> Resolution:
        """Resolve a model label given as header levels (outermost first), e.g. ["Llama 3.2", "1B"].
        `mixed`: other models of the table say they are instruction-tuned, so a name that says no
        variant is not assumed to be the base model. `stated`: the table's context says base or instruct."""
        printed = " / ".join(levels)
        if cell_links:
            return Resolution(cell_links[0], "link in cell", None, f"huggingface.co link in the cell: {cell_links[0]}")
        name, pm = self._name(levels)
        linked = self._linked(levels, name)
        if linked:
            return linked
        unsure = mixed and not instruct and pm.variant is None
        if (pm.family is None or pm.family.kind != "proprietary") and not unsure:
            by_name = self._repo_named(name, pm, instruct)
            if by_name:
                return by_name
        resolution = self._from_index(levels, printed, pm, instruct, ablation, unsure)
        if resolution.model_id and not (stated or instruct) and pm.variant is None:
            # "Qwen3-30B-A3B" is the repo name of the post-trained model; with nothing saying base or instruct,
            # the index's base checkpoint is a guess
            named = [c.repo for c in self.index.by_repo_name.get(squash(name), []) if c.repo]
            if named and resolution.model_id not in named:
                both = tuple(sorted({resolution.model_id, *named}))
                reason = f"model '{printed}' is ambiguous: it is the repo name of {named[0]}, but base models are listed too; it could be {', '.join(both)}"
                return Resolution(None, "", reason, resolution.evidence, both, printed, False, None)
        return resolution

    # -- the sources -------------------------------------------------------------------------------------------

    def _name(self, levels: list[str]) -> tuple[str, PrintedModel]:
        """The deepest header level that names a model family, with the levels under it; a bare size above
        it fills a missing size ("1.3B / Mamba")."""
        cleaned = [level.strip() for level in levels if level.strip()]
        for i in range(len(cleaned) - 1, -1, -1):
            pm = parse_model_name(cleaned[i], self.index)
            if pm.family is None or pm.before:
                continue
            name = " ".join(cleaned[i:])
            pm = parse_model_name(name, self.index)
            rival = next((lvl for lvl in cleaned[:i] if _names_a_model(lvl, self.index)), None)
            if rival is not None:  # "Hybrid H3-2.7B | GPT2": the outer cell is the model, the inner one not
                return f"{rival} {name}", replace(pm, unexplained=(*pm.unexplained, *rival.lower().split()))
            if pm.size is None:
                sizes = [lvl for lvl in cleaned[:i] if _BARE_SIZE.fullmatch(lvl)]
                if sizes:
                    name = f"{name} {sizes[-1]}"
                    pm = parse_model_name(name, self.index)
            return name, pm
        name = " ".join(cleaned)
        return name, parse_model_name(cleaned[-1] if cleaned else "", self.index)

    def _linked(self, levels: list[str], name: str) -> Resolution | None:
        if not self.links:
            return None
        for text in [name, *reversed(levels), " ".join(levels)]:
            for variant in (text, _PARENTHETICAL.sub(" ", text).strip()):
                repo = self.links.get(normalize(variant))
                if repo:
                    return Resolution(
                        repo, "link in paper", None, f"the paper links huggingface.co/{repo} as '{variant}'"
                    )
        return None

    def _repo_named(self, name: str, pm: PrintedModel, instruct: bool) -> Resolution | None:
        """The printed name is an indexed repo's own name (or a listed alias)."""
        want = pm.variant or ("instruct" if instruct else "base")
        for key, table, how in (
            (squash(_PARENTHETICAL.sub(" ", name)), self.index.by_repo_name, "repo name"),
            (squash(name), self.index.by_alias, "alias"),
        ):
            hits = [c for c in table.get(key, []) if c.variant == want or pm.variant is not None]
            hits = [c for c in hits if c.repo]
            if len(hits) == 1:
                repo = hits[0].repo
                return Resolution(repo, how, None, f"'{name}' is the {how} of {repo}")
        return None

    def _from_index(
        self, levels: list[str], printed: str, pm: PrintedModel, instruct: bool, ablation: bool, unsure: bool = False
    ) -> Resolution:
        want = pm.variant or ("instruct" if instruct else "base")
        deepest = levels[-1] if levels else printed

        def unresolved(reason: str, *, hub: bool = False, candidates: tuple[str, ...] = ()) -> Resolution:
            return Resolution(
                None,
                "",
                reason,
                _fields(pm, want),
                candidates,
                printed,
                want == "instruct",
                pm.text if hub else None,
            )

        if _UNRELEASED.search(printed):
            return unresolved(f"model '{printed}' is unreleased: no Hugging Face id")
        family = pm.family
        if family is not None and family.kind == "proprietary":
            return unresolved(f"model '{printed}' is proprietary ({family.why or family.key}): no open weights")
        if family is None and _PROPRIETARY.search(deepest):
            return unresolved(f"model '{printed}' is proprietary: no open weights to evaluate")
        if ablation or _ABLATION_ROW.match(deepest.strip()):
            return unresolved(f"ablation variant '{printed}' is not a released checkpoint")
        if family is None:
            # a name the Hub may know: not "X + method", "w/o X" or "(ours)", which name the paper's own variants
            looks = self.looks_like_model(pm.text) and len(pm.unexplained) <= 5 and not _METHOD.search(printed)
            return unresolved(f"model '{printed}' has no Hugging Face id", hub=looks)
        if pm.unexplained:
            words = " ".join(pm.unexplained)
            return unresolved(
                f"'{printed}' names a variant of {family.key} ('{words}'), not a released checkpoint: "
                "no Hugging Face id"
            )
        if unsure:
            both = sorted(c.repo for v in ("base", "instruct") for c in self._candidates(pm, v) if c.repo)
            if len(both) > 1:
                return unresolved(
                    f"model '{printed}' names no variant while the table lists instruction-tuned models beside it: "
                    f"it could be {', '.join(both)}",
                    candidates=tuple(both),
                )
        found = self._candidates(pm, want)
        own = [c for c in found if self.arxiv_id and self.arxiv_id in c.arxiv]
        if pm.ours and not own:
            return unresolved(f"'{printed}' is the paper's own model, not a released {family.key} checkpoint")
        found, settled = self._settle(found, own)
        if not found and pm.size is None:
            sized = sorted(c.repo for c in self._candidates(replace(pm, size="any"), want) if c.repo)
            if sized:
                shown = ", ".join(sized[:8]) + (f" and {len(sized) - 8} more" if len(sized) > 8 else "")
                return unresolved(f"model '{printed}' is ambiguous: no size is printed; it could be {shown}")
        if not found:
            if want == "instruct" and self._candidates(pm, "base"):
                return unresolved(
                    f"model '{printed}' is listed as instruction-tuned but its instruct variant has no known "
                    "Hugging Face id",
                    hub=True,
                )
            return unresolved(f"model '{printed}' has no Hugging Face id in the index", hub=True)
        repos = tuple(sorted(c.repo or f"{c.family} (no repo)" for c in found))
        if len(found) > 1:
            return unresolved(f"model '{printed}' is ambiguous: it could be {', '.join(repos)}", candidates=repos)
        hit = found[0]
        if hit.repo is None:
            return unresolved(f"model '{printed}' has no official Hugging Face repo: {hit.why or 'none known'}")
        source = "index: the paper's own checkpoint" if hit in own else "index"
        released = f", released {hit.released}" if hit.released else ""
        evidence = f"{_fields(pm, want)} -> {hit.repo}{released}{settled}"
        return Resolution(hit.repo, source, None, evidence, printed=printed, want_instruct=want == "instruct")

    def _settle(self, found: list[Checkpoint], own: list[Checkpoint]) -> tuple[list[Checkpoint], str]:
        """Several candidates: the paper's own release, else the one release the paper's text names exactly,
        else the one released by the paper's month."""
        if len(found) <= 1:
            return found, ""
        if len(own) == 1:
            return own, ""
        named = [(c, c.repo) for c in found if c.repo and self._names(c.repo)]
        if len(named) == 1:
            return [named[0][0]], f"; the paper's text names {named[0][1].split('/', 1)[1]}"
        month = self.paper_month
        if month is None:
            return found, ""
        dated = [c for c in found if c.released_key is not None and c.released_key <= month]
        if len(dated) == 1:
            return dated, f"; the only release by the paper's date ({month // 100}-{month % 100:02d})"
        return found, ""

    def _names(self, repo: str) -> bool:
        """The paper's source names this repo exactly (asked once per repo: a paper asks at most the index)."""
        if repo not in self._named:
            words = [re.escape(w) for w in re.split(r"[\-_\s]+", repo.split("/", 1)[1].lower()) if w]
            pattern = r"(?<![\w\-.])" + r"[\s\-_]*".join(words) + r"(?![\w\-]|\.\d)"
            self._named[repo] = bool(self.text) and re.search(pattern, self.text[:MENTION_CHARS]) is not None
        return self._named[repo]

    def _candidates(self, pm: PrintedModel, want: str) -> list[Checkpoint]:
        assert pm.family is not None
        family = [c for c in self.index.by_family.get(pm.family.key, []) if c.variant == want]
        found = [c for c in family if c.version == pm.version]
        if pm.version is None and not any(c.version is None for c in family):
            # the family has no unversioned generation ("Mistral Small 24B"): every generation is a candidate, and
            # the size, the paper's text and its date must settle which ("Mamba 1.3B" is never Mamba-2 1.3B)
            found = family
        if pm.size == "any":
            return found
        if pm.size is not None:
            found = [c for c in found if _size_matches(pm, c)]
        elif pm.qualifier is None:  # no size printed: only a checkpoint whose name has none ("phi-2"), never a guess
            found = [c for c in found if c.size is None]
        if pm.qualifier is not None:
            return [c for c in found if c.qualifier == pm.qualifier]
        plain = [c for c in found if c.qualifier is None]
        # no qualifier printed: the unqualified release, else every release ("v0.1", "0424") the date allows;
        # never an intermediate checkpoint ("1t", "step-480k")
        return plain or [c for c in found if _RELEASE_TAG.match(c.qualifier or "")]


_RELEASE_TAG = re.compile(r"^(?:v\d+(?:\.\d+)*|\d{4})$")
_CATEGORY_WORDS = re.compile(r"\b(?:models?|parameters?|params|open|closed|weights?|fully|baselines?|api)\b", re.I)


def _names_a_model(level: str, index: CheckpointIndex) -> bool:
    """An outer header cell that is itself a model's name ("Hybrid H3-2.7B"), not a category ("Open-weights
    models 7-14B Parameters") or a bare size ("1.3B")."""
    if _BARE_SIZE.fullmatch(level) or _CATEGORY_WORDS.search(level):
        return False
    pm = parse_model_name(level, index)
    return pm.size is not None and len(pm.unexplained) <= 3


def _size_matches(pm: PrintedModel, c: Checkpoint) -> bool:
    """The printed size is the checkpoint's name size, or its parameter count as printed ("2.6B" for 2.61)."""
    printed = [s for s in (pm.size, pm.size_alt) if s]
    for size in printed:
        if c.size and (size == c.size or _same_number(size, c.size)):
            return True
        value = size_in_billions(size)
        if value is not None and c.params_b:
            decimals = len(size.rstrip("bmkt").partition(".")[2])
            scale = 1e3 if size.endswith("m") else 1.0
            if round(c.params_b * scale, decimals) == round(value * scale, decimals):
                return True
    return False


def _same_number(a: str, b: str) -> bool:
    x, y = size_in_billions(a), size_in_billions(b)
    return x is not None and y is not None and abs(x - y) < 1e-9


def _fields(pm: PrintedModel, want: str) -> str:
    if pm.family is None:
        return f"'{pm.text}': no known model family"
    parts = [f"family {pm.family.key}", f"version {pm.version or '-'}", f"size {pm.size or '-'}", f"variant {want}"]
    if pm.qualifier:
        parts.append(f"release {pm.qualifier}")
    return f"'{pm.text}': " + ", ".join(parts)
