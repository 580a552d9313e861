"""Protocol stated in the body text, not in the table: "all evaluations are zero-shot unless otherwise
specified", "8-shot GSM8K, 4-shot MATH", "we use lm-evaluation-harness", "Table 3 reports 5-shot results".

Each statement keeps its sentence's span in the source (file, offsets), so a claim that takes a shot
count from the body carries the sentence as evidence. Scope, most specific first:
- a sentence that cites a table (`\\ref` to the table's `\\label`) speaks of that table;
- a sentence naming benchmarks with shot counts speaks of those benchmarks paper-wide; where the paper
  states different counts for one benchmark, only the statement in the table's own section counts;
- a sentence with no benchmark applies to every table only when it says so ("unless otherwise
  specified", "all evaluations ..."), and only in the weakest position.
Shot wording that is not about prompting ("zero-shot transfer", "few-shot learning capabilities",
"zero-shot prompting" to generate data) states nothing.

Pure: works on a flattened `Document`.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from services.extractor.floats import TableSource
from services.extractor.latex import Document, expand_macros, find_environment_end, read_group
from services.extractor.names import (
    benchmark_family,
    benchmarks_in,
    match_benchmark,
    match_unmeasurable,
    printed_key,
)
from services.extractor.plaintext import plain_label, strip_superscripts, to_plain
from services.extractor.prompt_format import CHAT_HEAD, TURNS_HEAD, Scoped, chat_for, chat_sentence, mark, pick
from services.extractor.protocol import (
    _HARNESS,
    HARNESS_USE,
    SPLITS,
    is_base_text,
    is_instruct_text,
    parse_label,
    parse_metric,
)
from services.extractor.shots import shots_per_benchmark
from services.extractor.tables import Cell, Row
from shared.models import ProtocolStatement

MAX_SENTENCE = 800
_HINT = re.compile(r"shot|harness|lm[\s\-]*eval|lighteval|olmes|chat", re.I)
_FLOATS = re.compile(r"\\begin\s*\{(table\*?|figure\*?|sidewaystable\*?|wraptable|algorithm\*?|equation\*?|align\*?)\}")
_SECTION = re.compile(r"\\(?:chapter|section|appendix)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\\(])|\n\s*\n|\\(?:paragraph|subsection|subsubsection|item)\b")
_REF = re.compile(r"\\(?:c|C|auto|eq|name|v)?ref\*?\s*\{([^{}]{1,100})\}")
_SETUP = re.compile(
    r"\b(?:details?|setup|settings?|configurations?|hyper-?parameters?|protocols?|suite)\b.*"
    r"\b(?:evaluations?|tasks?|benchmarks?)\b|\b(?:evaluations?|tasks?|benchmarks?)\b.*"
    r"\b(?:details?|setup|settings?|configurations?|protocols?|suite)\b",
    re.I,
)
_ITEM = re.compile(r"\\item\b")
_ITEM_END = re.compile(r"\\end\s*\{(?:itemize|enumerate|description)\}")
_LABEL = re.compile(r"\\label\s*\{([^{}]{1,100})\}")
_GLOBAL = re.compile(
    r"\bunless\b|\botherwise\b|\bby default\b|\ball (?:the )?(?:evaluations?|results|experiments|"
    r"models|numbers|scores|tasks|benchmarks|metrics)\b|\bevery (?:evaluation|benchmark|task|metric)\b",
    re.I,
)
_LOCAL_SCOPE = re.compile(
    r"\bthis (?:category|group|section|suite)\b|\bthese (?:tasks|benchmarks|datasets)\b|"
    r"\bthe following\b|\bbelow\b",
    re.I,
)


@dataclass
class BodyProtocol:
    """What the body text says, by scope; each value with the statement that says it."""

    shots_by_table: dict[str, dict[str | None, ProtocolStatement]] = field(default_factory=dict)  # label -> bench
    # benchmark -> (section, statement, scope): scope "instruct"/"base" when the statement is about those models
    shots_by_benchmark: dict[str, list[tuple[int, ProtocolStatement, str | None]]] = field(default_factory=dict)
    global_shots: ProtocolStatement | None = None
    harness: ProtocolStatement | None = None
    # benchmark -> the split an evaluation-setup table gives its row ("MMLU | Test | 5"), with that row as evidence
    splits_by_benchmark: dict[str, list[ProtocolStatement]] = field(default_factory=dict)
    # benchmark -> statements giving the count of a setting the paper calls "few-shot" ("In the few-shot
    # setting, there are 15 additional question / answer pairs"); used for cells labelled "few-shot"
    few_shot_counts: dict[str, list[ProtocolStatement]] = field(default_factory=dict)
    # benchmark -> whether a setup table's "Chat" / "Multiturn ICL" column checks it, with its scope
    chat_by_benchmark: dict[str, list[Scoped]] = field(default_factory=dict)
    multiturn_by_benchmark: dict[str, list[Scoped]] = field(default_factory=dict)
    chat_sentences: list[Scoped] = field(default_factory=list)  # "we use the provided chat template ..."
    # benchmark -> the metric a setup table's "Metric" column gives its row ("IFEval | ... | Pass@1 (prompt; loose)")
    metrics_by_benchmark: dict[str, list[Scoped]] = field(default_factory=dict)
    # (benchmark, which statements) -> their keys: a table asks once per cell, the answer is per benchmark
    _keys_cache: dict[tuple[str | None, str], tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def _keys(self, benchmark: str | None, which: str) -> tuple[str, ...]:
        """`_keys` over `shots_by_benchmark` or `few_shot_counts`; both are complete once the body is read."""
        if (benchmark, which) not in self._keys_cache:
            self._keys_cache[benchmark, which] = _keys(benchmark, getattr(self, which))
        return self._keys_cache[benchmark, which]

    def prompt_format(
        self, benchmark: str | None, instruct: bool
    ) -> tuple[ProtocolStatement | None, ProtocolStatement | None]:
        """Whether the cell's prompts used the chat template, and its few-shot examples separate turns."""
        chats = [x for key in self._keys(benchmark, "chat_by_benchmark") for x in self.chat_by_benchmark.get(key, [])]
        turns = [
            x
            for key in self._keys(benchmark, "multiturn_by_benchmark")
            for x in self.multiturn_by_benchmark.get(key, [])
        ]
        return chat_for(chats, self.chat_sentences, instruct), pick(turns, instruct)

    def metric_for(self, benchmark: str | None, instruct: bool) -> ProtocolStatement | None:
        """The metric the paper's evaluation-setup tables give this benchmark (for this kind of model)."""
        found = [
            x for key in self._keys(benchmark, "metrics_by_benchmark") for x in self.metrics_by_benchmark.get(key, [])
        ]
        return pick(found, instruct)

    def few_shot_count(self, benchmark: str | None) -> ProtocolStatement | None:
        found = [st for key in self._keys(benchmark, "few_shot_counts") for st in self.few_shot_counts.get(key, [])]
        return found[0] if found and len({st.value for st in found}) == 1 else None

    def split_for(self, benchmark: str | None) -> ProtocolStatement | None:
        """The split the paper's evaluation-setup tables give this benchmark, when they agree."""
        found = (
            [st for key in benchmark_family(benchmark) for st in self.splits_by_benchmark.get(key, [])]
            if benchmark
            else []
        )
        return found[0] if found and len({st.value for st in found}) == 1 else None

    def shots_for(
        self, table_labels: set[str], section: int, benchmark: str | None, instruct: bool = False
    ) -> ProtocolStatement | None:
        """The body's shot statement for a cell: table-cited, then per benchmark, then global."""
        for label in table_labels:
            cited = self.shots_by_table.get(label, {})
            for key in (*benchmark_family(benchmark), None) if benchmark else (None,):
                if key in cited:
                    return cited[key]
        if benchmark:
            scope = "instruct" if instruct else "base"
            every = [
                (sec, st, sc)
                for key in self._keys(benchmark, "shots_by_benchmark")
                for sec, st, sc in self.shots_by_benchmark.get(key, [])
            ]
            # a statement about this kind of model (instruct or base) is more specific than an unscoped one
            found = [(sec, st) for sec, st, sc in every if sc == scope] or [
                (sec, st) for sec, st, sc in every if sc is None
            ]
            values = {st.value for _, st in found}
            if len(values) == 1:
                return found[0][1]
            same_section = [st for sec, st in found if sec == section]
            if same_section and len({st.value for st in same_section}) == 1:
                return same_section[0]
            counts = Counter(st.value for _, st in found)
            value, n = counts.most_common(1)[0] if counts else ("", 0)
            if n >= 3 and 3 * n >= 2 * len(found):  # "MMLU 5-shot" four times, "0-shot MMLU" once in an aside
                return next(st for _, st in found if st.value == value)
            if found:
                return None  # the paper says different things for this benchmark: no single count
        return self.global_shots


def _keys(benchmark: str | None, statements: dict[str, list[Any]]) -> tuple[str, ...]:
    """The keys statements about a cell's benchmark are filed under: its family ("ARC" covers ARC-e and
    ARC-c), or, when the paper filed nothing under those, the one name the label abbreviates."""
    if not benchmark:
        return ()
    family = benchmark_family(benchmark)
    if any(key in statements for key in family):
        return family
    expanded = _expand(benchmark, statements)  # "tfqa" -> "truthfulqa", "fren15" -> "wmtfren15"
    return (expanded,) if expanded else family


def _expand(abbreviation: str, keys: dict[str, list[Any]]) -> str | None:
    """The one benchmark the paper names whose letters a short label follows in order ("tfqa" ->
    "truthfulqa", same first letter), or that contains a longer label ("fren15" in "wmtfren15"); None when
    none or several fit."""
    if len(abbreviation) <= 5:
        pattern = re.compile(".*?".join(map(re.escape, abbreviation)))
        fits = [key for key in keys if key[:1] == abbreviation[:1] and pattern.match(key)]
    else:  # a longer printed name inside one the paper gives ("fren15" in "wmtfren15")
        fits = [key for key in keys if abbreviation in key]
    return fits[0] if len(fits) == 1 else None


@dataclass
class TableView:
    """The paper's body protocol as one table sees it (its labels and section): `claims.TableBody`."""

    body: BodyProtocol
    labels: set[str]
    section: int

    @property
    def harness(self) -> ProtocolStatement | None:
        return self.body.harness

    def shots(self, benchmark: str | None, instruct: bool) -> ProtocolStatement | None:
        return self.body.shots_for(self.labels, self.section, benchmark, instruct)

    def few_shot_count(self, benchmark: str | None) -> ProtocolStatement | None:
        return self.body.few_shot_count(benchmark)

    def prompt_format(
        self, benchmark: str | None, instruct: bool
    ) -> tuple[ProtocolStatement | None, ProtocolStatement | None]:
        return self.body.prompt_format(benchmark, instruct)

    def split(self, benchmark: str | None) -> ProtocolStatement | None:
        return self.body.split_for(benchmark)

    def metric(self, benchmark: str | None, instruct: bool) -> ProtocolStatement | None:
        return self.body.metric_for(benchmark, instruct)


def paper_protocol(doc: Document, tables: list[TableSource]) -> tuple[BodyProtocol, list[int]]:
    """What the paper says about protocol outside each table's own labels and caption, and the section
    each table stands in: body sentences, evaluation-setup tables, setup captions."""
    body = read_body(doc, labels_of_tables(doc, [(t.tabular_start, t.raw_float, t.main_label) for t in tables]))
    sections = table_sections(doc, [t.tabular_start for t in tables])
    protocol_table_shots(doc, tables, sections, body)
    caption_defaults(doc, tables, body)
    return body, sections


def read_body(doc: Document, table_labels: dict[str, str]) -> BodyProtocol:
    """`table_labels`: LaTeX `\\label` key -> printed table label ("tab:main" -> "Table 3")."""
    text = doc.text
    out = BodyProtocol()
    sections = [m.start() for m in _SECTION.finditer(text)]
    items = [m.start() for m in _ITEM.finditer(text)]
    _read_figures(doc, out)
    for start, end in _sentences(text):
        if end - start > MAX_SENTENCE or not _HINT.search(text, start, end):
            continue
        raw = text[start:end]
        plain = re.sub(r"\s+", " ", strip_superscripts(to_plain(raw, doc.macros))[0]).strip()
        statement = _statement(doc, start, end, plain)
        if statement is None:
            continue
        _few_shot_count(doc, start, end, out, plain=plain, statement=statement)
        if (chat := chat_sentence(plain)) is not None:
            out.chat_sentences.append(
                (statement.model_copy(update={"field": "chat_template", "value": chat}), _scope(plain))
            )
        section = _section_of(sections, start)
        harness = next((k for k, p in _HARNESS if p.search(plain.lower())), None) if out.harness is None else None
        if harness is not None and HARNESS_USE.search(plain):
            out.harness = statement.model_copy(update={"field": "harness", "value": harness})
        cited = [table_labels[key] for key in _REF.findall(raw) if key in table_labels]
        per_bench = shots_per_benchmark(plain)
        if list(per_bench) == [None] and not cited:
            # "\\item MMLU: ... We evaluate with 5-shot prompts for this task": the item names the benchmark
            head = _item_head(doc, items, start)
            named = {key for _, key in benchmarks_in(head)}
            if len(named) == 1:
                per_bench = {named.pop(): per_bench[None]}
        if not per_bench:
            continue
        for bench, shots in per_bench.items():
            st = statement.model_copy(update={"field": "n_shot", "value": str(shots)})
            if cited:
                for label in cited:
                    out.shots_by_table.setdefault(label, {}).setdefault(bench, st)
            elif bench is not None:
                # a sentence is scoped to chat models when it says so; "base" in running text is too often a
                # contrast ("unlike the base model, ... zero-shot") to scope a sentence to base models
                scope = "instruct" if _scope(plain) == "instruct" else None
                out.shots_by_benchmark.setdefault(bench, []).append((section, st, scope))
            elif out.global_shots is None and _GLOBAL.search(plain) and not _LOCAL_SCOPE.search(plain):
                out.global_shots = st
    return out


_COUNT_CELL = re.compile(r"(\d{1,3})\s*(?:\([^()]{0,20}\))?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9+\-. ]{1,30}")
_FEW_SHOT_COUNT = re.compile(
    r"\bfew[\s\-]*shot\b[^.;]{0,80}?\b(\d{1,3})\s+(?:additional\s+|in-context\s+)?[\w/ ]{0,40}?"
    r"\b(?:pairs|examples|demonstrations|exemplars|passages|paragraphs|questions|shots)\b",
    re.I,
)
_METRIC_HEAD = re.compile(r"metrics?", re.I)  # a setup table's column header, whole
_CAPTION_SUBJECT = re.compile(r"\s*([A-Z][^:.]{0,40}?)\s*:")
_FIGURE = re.compile(r"\\begin\s*\{(figure\*?)\}")


def _few_shot_count(
    doc: Document,
    start: int,
    end: int,
    out: BodyProtocol,
    *,
    plain: str | None = None,
    statement: ProtocolStatement | None = None,
    head: str = "",
) -> None:
    """ "In the few-shot setting, there are 15 additional pairs": the count behind a "few-shot" label, for
    the one benchmark the sentence (or the box it stands in, `head`) names."""
    if end - start > MAX_SENTENCE or not re.search(r"few[\s\-]*shot", doc.text[start:end], re.I):
        return
    plain = plain or re.sub(r"\s+", " ", strip_superscripts(to_plain(doc.text[start:end], doc.macros))[0]).strip()
    m = _FEW_SHOT_COUNT.search(plain)
    if m is None:
        return
    named = {key for _, key in benchmarks_in(plain)} or {key for _, key in benchmarks_in(head)}
    if not named and (subject := _CAPTION_SUBJECT.match(head)):  # "SST: prompting, examples, ..."
        named = {key} if (key := printed_key(subject.group(1))) else set()
    statement = statement or _statement(doc, start, end, plain)
    if len(named) != 1 or statement is None:
        return
    out.few_shot_counts.setdefault(named.pop(), []).append(
        statement.model_copy(update={"field": "n_shot", "value": m.group(1)})
    )


def _read_figures(doc: Document, out: BodyProtocol) -> None:
    """Sentences inside figure boxes ("Hellaswag: prompting, examples, and dataset features"), which the
    running text leaves out, each read with its figure's caption as the benchmark it speaks of."""
    text = doc.text
    for m in _FIGURE.finditer(text):
        body_end, _ = find_environment_end(text, m.group(1), m.end())
        if body_end < 0 or not re.search(r"few[\s\-]*shot", text[m.end() : body_end], re.I):
            continue
        caption = re.search(r"\\caption\s*\{", text[m.end() : body_end])
        group = read_group(text, m.end() + caption.end() - 1) if caption else None
        head = to_plain(group[0], doc.macros) if group else ""
        for start, end in _split(text, m.end(), body_end):
            _few_shot_count(doc, start, end, out, head=head)


def _item_head(doc: Document, items: list[int], offset: int) -> str:
    """The printed text of the `\\item` an offset stands in, up to the offset (bounded)."""
    k = bisect.bisect_right(items, offset) - 1
    if k < 0 or offset - items[k] > 3000:
        return ""
    raw = doc.text[items[k] : offset]
    if _ITEM_END.search(raw):
        return ""
    return strip_superscripts(to_plain(raw[:1500], doc.macros))[0]


def caption_defaults(doc: Document, tables: list[TableSource], out: BodyProtocol) -> None:
    """A paper-wide setting stated in the caption of an evaluation-setup table ("Details of the evaluation
    suite. ... We use zero-shot setting for all metrics") is a global default, like the same sentence in
    the body."""
    for table in tables:
        if not _SETUP.search(table.caption):
            continue  # "All tasks are zero-shot" under a results table speaks of that table only
        for start, end in table.caption_spans:
            if out.global_shots is not None:
                return
            plain = re.sub(r"\s+", " ", strip_superscripts(to_plain(doc.text[start:end], doc.macros))[0]).strip()
            per_bench = shots_per_benchmark(plain)
            if list(per_bench) == [None] and _GLOBAL.search(plain) and not _LOCAL_SCOPE.search(plain):
                statement = _statement(doc, start, end, plain)
                if statement is not None:
                    out.global_shots = statement.model_copy(update={"field": "n_shot", "value": str(per_bench[None])})


def protocol_table_shots(doc: Document, tables: list[TableSource], sections: list[int], out: BodyProtocol) -> None:
    """Evaluation-setup tables ("Task | Split | # shots | Metric"): each row's shot count, filed like a
    body statement about that benchmark, with the row's source span as evidence."""
    for table, section in zip(tables, sections, strict=True):
        rows = table.grid.rows
        for h, row in enumerate(rows[:4]):
            shot_cols = [c for c, cell in enumerate(row.cells) if parse_label(plain_label(cell.text)).shot_column]
            if len(shot_cols) != 1:
                continue
            col = shot_cols[0]
            split_cols = [c for c, cell in enumerate(row.cells) if plain_label(cell.text).strip().lower() == "split"]
            format_cols = [
                (c, which, plain_label(cell.text).strip())
                for c, cell in enumerate(row.cells)
                for which, head in (("chat_template", CHAT_HEAD), ("fewshot_as_multiturn", TURNS_HEAD))
                if head.fullmatch(plain_label(cell.text).strip())
            ]
            metric_cols = [
                c for c, cell in enumerate(row.cells) if _METRIC_HEAD.fullmatch(plain_label(cell.text).strip())
            ]
            for body_row in rows[h + 1 :]:
                if split_cols:
                    _setup_row_split(doc, table, body_row, split_cols[0], out)
                if len(metric_cols) == 1:
                    _setup_row_metric(doc, table, body_row, (col, metric_cols[0]), out)
                for format_col, which, head in format_cols:
                    _setup_row_format(doc, table, body_row, (col, format_col), which, head, out)
                counted = _COUNT_CELL.fullmatch(plain_label(body_row.cells[col].text))  # "5", "8 (CoT)"
                if counted is None:
                    continue
                count = counted.group(1)
                cells = [c for c in dict.fromkeys(body_row.cells[:col]) if plain_label(c.text)]
                known = [(c, _known_key(plain_label(c.text))) for c in cells]
                hits = [(c, k) for c, k in known if k] or [
                    (c, printed_key(plain_label(c.text))) for c in cells if _NAME.fullmatch(plain_label(c.text))
                ][-1:]
                for label_cell, key in hits[:1]:  # a known benchmark, else the name nearest the count ("PopQA")
                    located = doc.locate(label_cell.start, body_row.cells[col].end)
                    if key is None or located is None:
                        continue
                    name = plain_label(label_cell.text)
                    st = _row_statement(doc, located, "n_shot", count, f"{table.printed}: {name} | {count} shots")
                    out.shots_by_benchmark.setdefault(key, []).append((section, st, _scope(table.caption)))
            break


def _setup_row_split(doc: Document, table: TableSource, row: Row, col: int, out: BodyProtocol) -> None:
    """ "MMLU | Test | 5": the row's split applies to the row's benchmark."""
    split_cell = row.cells[col]
    split = next((k for k, p in SPLITS if p.fullmatch(plain_label(split_cell.text).strip().lower())), None)
    names = [c for c in dict.fromkeys(row.cells[:col]) if plain_label(c.text)]
    keys = [(c, match_benchmark(plain_label(c.text))) for c in names]
    hits = [(c, k) for c, k in keys if k]
    if split is None or len(hits) != 1:
        return
    label_cell, key = hits[0]
    located = doc.locate(label_cell.start, split_cell.end)
    if key is None or located is None:
        return
    plain = f"{table.printed}: {plain_label(label_cell.text)} | {plain_label(split_cell.text)}"
    out.splits_by_benchmark.setdefault(key, []).append(_row_statement(doc, located, "split", split, plain))


def _setup_row_metric(doc: Document, table: TableSource, row: Row, cols: tuple[int, int], out: BodyProtocol) -> None:
    """ "IFEval | ✗ | 0 | ✓ | N/A | Pass@1 (prompt; loose)": the metric a setup table gives the row's benchmark."""
    shot_col, col = cols
    cell = row.cells[col]
    printed = plain_label(cell.text).strip()
    metric = parse_metric(printed)
    named = _row_benchmark(doc, row, shot_col, cell, single=True)
    if metric is None or metric in ("other", "accuracy") or named is None:
        return
    key, name, located = named
    plain = f"{table.printed}: {name} | Metric: {printed}"
    out.metrics_by_benchmark.setdefault(key, []).append(
        (_row_statement(doc, located, "metric", metric, plain), _scope(table.caption))
    )


def _row_benchmark(
    doc: Document, row: Row, shot_col: int, cell: Cell, *, single: bool
) -> tuple[str, str, tuple[str, int, int]] | None:
    """The benchmark a setup table's row names before its shots column (the first, or the only one
    when `single`): its key, its printed name and the source span from that name to `cell`."""
    names = [c for c in dict.fromkeys(row.cells[:shot_col]) if plain_label(c.text)]
    hits = [(c, k) for c in names if (k := _known_key(plain_label(c.text)))]
    if not hits or (single and len(hits) != 1):
        return None
    label_cell, key = hits[0]
    located = doc.locate(min(label_cell.start, cell.start), max(label_cell.end, cell.end))
    return None if located is None else (key, plain_label(label_cell.text), located)


def _setup_row_format(
    doc: Document, table: TableSource, row: Row, cols: tuple[int, int], which: str, head: str, out: BodyProtocol
) -> None:
    """ "GSM8K | ✓ | 8 | ✓ | ✓": a Chat or Multiturn ICL check mark (or cross) for the row's benchmark."""
    shot_col, col = cols
    cell = row.cells[col]
    value = mark(cell.raw, expand_macros(cell.raw, doc.macros), plain_label(cell.text))
    named = _row_benchmark(doc, row, shot_col, cell, single=False)
    if value is None or named is None:
        return
    key, name, located = named
    plain = f"{table.printed}: {name} | {head}: {'yes' if value == 'true' else 'no'}"
    st = _row_statement(doc, located, which, value, plain)
    target = out.chat_by_benchmark if which == "chat_template" else out.multiturn_by_benchmark
    target.setdefault(key, []).append((st, _scope(table.caption)))


def _row_statement(
    doc: Document, located: tuple[str, int, int], name: str, value: str, plain: str
) -> ProtocolStatement:
    """An evaluation-setup table row's setting, with the row's source span as its evidence."""
    path, start, end = located
    return ProtocolStatement(
        field=name,
        value=value,
        source_file=path,
        char_start=start,
        char_end=end,
        text=doc.files[path][start:end],
        plain=plain,
    )


def _known_key(name: str) -> str | None:
    if (key := match_benchmark(name)) is not None:
        return key
    known = match_unmeasurable(name)
    return printed_key(known[0]) if known else None


def _scope(text: str) -> str | None:
    """Whether a statement speaks of instruction-tuned or of base models only."""
    instruct, base = is_instruct_text(text), is_base_text(text)
    return "instruct" if instruct and not base else "base" if base and not instruct else None


def table_sections(doc: Document, offsets: list[int]) -> list[int]:
    sections = [m.start() for m in _SECTION.finditer(doc.text)]
    return [_section_of(sections, o) for o in offsets]


def _section_of(sections: list[int], offset: int) -> int:
    return sum(1 for s in sections if s <= offset)


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of the running text, floats (tables, figures, equations) left out."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _FLOATS.finditer(text):
        if m.start() < pos:
            continue
        spans.extend(_split(text, pos, m.start()))
        _, env_end = find_environment_end(text, m.group(1), m.end())
        pos = env_end if env_end > 0 else m.end()
    spans.extend(_split(text, pos, len(text)))
    return spans


def _split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if end > pos:
        out.append((pos, end))
    return out


def _statement(doc: Document, start: int, end: int, plain: str) -> ProtocolStatement | None:
    located = doc.locate(start, end)
    if located is None:
        return None
    path, f_start, f_end = located
    raw = doc.files[path][f_start:f_end]
    return ProtocolStatement(
        field="",
        value="",
        source_file=path,
        char_start=f_start,
        char_end=f_end,
        text=raw.strip()[:MAX_SENTENCE],
        plain=plain[:MAX_SENTENCE],
    )


def labels_of_tables(doc: Document, floats: list[tuple[int, str, str]]) -> dict[str, str]:
    """`\\label` key -> printed table label, for (offset, float source, label) of each table."""
    out: dict[str, str] = {}
    for _, raw, label in floats:
        for m in _LABEL.finditer(raw):
            out.setdefault(m.group(1).strip(), label)
    return out


__all__ = ["BodyProtocol", "labels_of_tables", "read_body", "table_sections"]
