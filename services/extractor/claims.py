"""From a table's layout to claims: one per numeric result cell, with its protocol decided field by
field (label, protocol column, caption, benchmark default) and notes that say which was which.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from services.extractor.conditions import setting_conditions
from services.extractor.floats import TableSource
from services.extractor.headers import AxisEntry, Layout, pair_readings
from services.extractor.latex import Document
from services.extractor.models import ModelResolver, Resolution, links_in
from services.extractor.names import (
    benchmark_family,
    map_key,
    match_benchmark,
    match_unmeasurable,
    printed_key,
)
from services.extractor.plaintext import ParsedNumber, parse_number, plain_label
from services.extractor.protocol import (
    CaptionInfo,
    LabelInfo,
    is_base_text,
    is_instruct_text,
    parse_label,
    parse_metric,
)
from services.extractor.shots import parse_shots
from services.extractor.tables import Cell
from shared.benchmarks import BENCHMARKS, LIGHTEVAL, LmEvalTask, choose_task
from shared.ids import claim_id
from shared.models import (
    Claim,
    ClaimCitation,
    ClaimProtocol,
    Evidence,
    ModelResolution,
    ProtocolStatement,
)

METRIC_WORDS = {
    "acc": "accuracy",
    "acc_norm": "normalized accuracy",
    "exact_match": "exact match",
    "exact_match_flexible": "exact match (flexible)",
    "pass@1": "pass@1",
    "f1": "F1",
    "rouge": "ROUGE",
    "other": "score",
}


@dataclass
class Candidate:
    """A claim before gate G1, with the grid cell it came from and its axis entries."""

    claim: Claim
    cell: Cell
    number: ParsedNumber
    model_key: int
    bench_levels: list[str]
    statements: list[ProtocolStatement] = field(default_factory=list)


# What the body text says for a cell: (benchmark key, or the printed name of one we cannot run) -> statement
class TableBody(Protocol):
    """What the rest of the paper says about one table's cells (`body.BodyProtocol` seen from a table)."""

    @property
    def harness(self) -> ProtocolStatement | None: ...

    def split(self, benchmark: str | None) -> ProtocolStatement | None: ...

    def shots(self, benchmark: str | None, instruct: bool) -> ProtocolStatement | None: ...

    def few_shot_count(self, benchmark: str | None) -> ProtocolStatement | None: ...

    def metric(self, benchmark: str | None, instruct: bool) -> ProtocolStatement | None: ...

    def prompt_format(
        self, benchmark: str | None, instruct: bool
    ) -> tuple[ProtocolStatement | None, ProtocolStatement | None]: ...


@dataclass
class ProtocolDecision:
    protocol: ClaimProtocol
    stated: list[str] = field(default_factory=list)
    unstated: list[str] = field(default_factory=list)
    bench_name: str = ""
    bench_reason: str | None = None
    statements: list[ProtocolStatement] = field(default_factory=list)


@dataclass
class _Labels:
    """What one cell's labels say, parsed once: its benchmark levels (legend-expanded), group rows above
    it, and its model's levels."""

    levels: list[str]
    infos: list[LabelInfo]
    context: list[LabelInfo]
    model_infos: list[LabelInfo]


def decide_protocol(
    bench: AxisEntry,
    model: AxisEntry,
    caption: CaptionInfo,
    shots_text: str = "",
    metric_text: str = "",
    body: TableBody | None = None,
    instruct: bool = False,
) -> ProtocolDecision:
    """The claimed protocol of one cell, each field with where the paper states it (or that it does not)."""
    levels = [caption.legend.get(level.strip(), level) for level in bench.levels]  # "IFE" -> "IFEval"
    labels = _Labels(
        levels,
        [parse_label(level) for level in levels],
        [parse_label(c) for c in bench.context + model.context],
        [parse_label(level) for level in model.levels],
    )
    d = ProtocolDecision(ClaimProtocol(benchmark_label=" / ".join(bench.levels)))
    _decide_benchmark(d, labels, caption)
    _decide_shots(d, labels, caption, shots_text, metric_text, body, instruct)
    _decide_metric(d, labels, caption, metric_text, body, instruct)
    _decide_formulation_split_harness(d, labels, caption, body)
    if body is not None:
        _decide_prompt_format(d, body, _body_key(d.protocol, d, levels), instruct)
    return d


def _decide_prompt_format(d: ProtocolDecision, body: TableBody, key: str | None, instruct: bool) -> None:
    """Chat template and multi-turn few-shot as the paper states them (setup table or body text);
    unstated, they stay None: lm-eval's defaults (no chat template)."""
    p = d.protocol
    chat, turns = body.prompt_format(key, instruct)
    if chat is not None:
        p.chat_template = chat.value == "true"
        d.statements.append(chat)
        d.stated.append(
            f"chat_template={chat.value} ({'evaluation-setup table' if chat.plain.count('|') else 'body text'})"
        )
    if turns is not None and p.chat_template:
        p.fewshot_as_multiturn = turns.value == "true"
        d.statements.append(turns)
        d.stated.append(f"fewshot_as_multiturn={turns.value} (evaluation-setup table)")


def _decide_benchmark(d: ProtocolDecision, labels: _Labels, caption: CaptionInfo) -> None:
    p, levels, infos = d.protocol, labels.levels, labels.infos
    for k in range(len(levels) - 1, -1, -1):
        joined = " ".join(levels[k:])
        if (key := match_benchmark(joined)) is not None:
            p.benchmark = key
            d.stated.append(f"benchmark={key}")
            break
    if p.benchmark is None:
        for k in range(len(levels) - 1, -1, -1):
            if (known := match_unmeasurable(" ".join(levels[k:]))) is not None:
                d.bench_name, d.bench_reason = known[0], f"benchmark '{known[0]}' {known[1]}"
                break
    if p.benchmark is None and not d.bench_name and levels and (key := caption.benchmark_for(levels[-1])) is not None:
        p.benchmark = key
        d.stated.append(f"benchmark={key} (the caption explains '{levels[-1]}')")
    p.is_aggregate = bool(infos) and infos[-1].aggregate and p.benchmark is None
    if p.benchmark is None and infos:
        p.derived = infos[-1].derived  # type: ignore[assignment]
    p.held_out = any(i.held_out for i in (*infos, *labels.context))


def _decide_shots(
    d: ProtocolDecision,
    labels: _Labels,
    caption: CaptionInfo,
    shots_text: str,
    metric_text: str,
    body: TableBody | None,
    instruct: bool,
) -> None:
    """The label (deepest level first), a Shots column, the model label, group rows, the caption; then
    the body text."""
    p, infos, context = d.protocol, labels.infos, labels.context
    shot_sources: list[tuple[str, int | None]] = [(f"label '{i.text}'", i.n_shot) for i in reversed(infos)]
    bare_count = re.fullmatch(r"\s*\d{1,3}\s*", shots_text)  # a Shots column prints "5", not "5-shot"
    column_shots, _ = parse_shots(f"{shots_text}-shot" if bare_count else shots_text)
    shot_sources.append(("the Shots column", column_shots))
    shot_sources.append(("the Metric column", parse_shots(metric_text)[0]))  # "5-shot, top-1"
    shot_sources += [(f"label '{i.text}'", i.n_shot) for i in reversed(labels.model_infos)]
    shot_sources += [(f"group '{i.text}'", i.n_shot) for i in context]
    shot_sources += [
        ("caption", v)
        for k, v in caption.shots_by_benchmark.items()
        if p.benchmark in benchmark_family(k) or (p.benchmark is None and k == printed_key(d.bench_name))
    ]
    shot_sources.append(("caption", caption.n_shot))
    for source, value in shot_sources:
        if value is not None:
            p.n_shot = value
            d.stated.append(f"n_shot={value} ({source})")
            return
    key = _body_key(p, d, labels.levels)
    statement = body.shots(key, instruct) if body is not None and not p.derived else None
    if statement is not None:
        p.n_shot = int(statement.value)
        d.statements.append(statement)
        d.stated.append(f"n_shot={statement.value} (body text, {statement.source_file}: {statement.plain[:120]!r})")
        return
    few = any(i.few_shot for i in (*infos, *context, *labels.model_infos))
    counted = body.few_shot_count(key) if few and body is not None else None
    if counted is not None:  # "few-shot" here, "15 additional pairs in the few-shot setting" there
        p.n_shot = int(counted.value)
        d.statements.append(counted)
        d.stated.append(f"n_shot={counted.value} (label says few-shot; {counted.source_file}: {counted.plain[:120]!r})")
    else:
        d.unstated.append("n_shot (the paper says 'few-shot' without a count)" if few else "n_shot")


def _decide_metric(
    d: ProtocolDecision,
    labels: _Labels,
    caption: CaptionInfo,
    metric_text: str,
    body: TableBody | None = None,
    instruct: bool = False,
) -> None:
    """The label, a Metric column, the caption; then an evaluation-setup table's Metric column for the
    benchmark (OLMo 2's "IFEval | ... | Pass@1 (prompt; loose)"), with its row as evidence."""
    p = d.protocol
    default = BENCHMARKS.get(p.benchmark or "")
    stated_metric = next((i.metric for i in reversed(labels.infos) if i.metric), None)
    source = "label"
    if stated_metric is None and metric_text:
        stated_metric = "acc" if re.fullmatch(r"\s*acc\.?\s*", metric_text.lower()) else parse_metric(metric_text)
        source = "the Metric column"
    if stated_metric is None:
        stated_metric = (
            next((v for k, v in caption.metric_by_benchmark.items() if p.benchmark in benchmark_family(k)), None)
            or caption.metric
        )
        source = "caption"
    if stated_metric is None and body is not None and not p.derived:
        row = body.metric(_body_key(p, d, labels.levels), instruct)
        if row is not None:
            stated_metric, source = row.value, f"evaluation-setup table, {row.source_file}: {row.plain[:120]!r}"
            d.statements.append(row)
    # A field the paper does not state stays None ("unknown" to the verdict rules, so gate C1 can
    # never publish `wrong` on an assumption); the evaluator then runs the benchmark's default.
    if stated_metric == "accuracy" and default is not None and default.metric == "exact_match":
        p.metric = "exact_match"  # "accuracy" on a generation benchmark is its exact match
        d.stated.append(f"metric=exact_match ({source} says 'accuracy')")
    elif stated_metric == "accuracy" and default is not None and default.metric == "acc_norm":
        d.unstated.append(
            f"metric ({source} says 'accuracy' without saying whether normalized; the evaluator runs {default.metric})"
        )
    elif stated_metric == "accuracy":
        p.metric = "acc"
        d.stated.append(f"metric=acc ({source})")
    elif stated_metric is not None:
        p.metric = stated_metric
        d.stated.append(f"metric={stated_metric} ({source})")
    else:
        d.unstated.append(
            "metric" + (f" (the evaluator runs the benchmark default: {default.metric})" if default else "")
        )


def _decide_formulation_split_harness(
    d: ProtocolDecision, labels: _Labels, caption: CaptionInfo, body: TableBody | None
) -> None:
    p, infos = d.protocol, labels.infos
    default = BENCHMARKS.get(p.benchmark or "")
    formulation = (
        next((i.formulation for i in reversed(infos) if i.formulation), None)
        or next((i.formulation for i in labels.context if i.formulation), None)
        or next((v for k, v in caption.formulation_by_benchmark.items() if p.benchmark in benchmark_family(k)), None)
        or caption.formulation
    )
    if formulation is not None:
        p.formulation = formulation
        d.stated.append(f"formulation={formulation}")
    else:
        d.unstated.append(
            "formulation" + (f" (the evaluator runs the benchmark default: {default.formulation})" if default else "")
        )
    split = next((i.split for i in reversed(infos) if i.split), None)
    setup = body.split(p.benchmark) if body is not None and split is None else None
    if split is not None:
        p.split = split
        d.stated.append(f"split={split}")
    elif setup is not None:
        p.split = setup.value
        d.statements.append(setup)
        d.stated.append(f"split={setup.value} (evaluation-setup table)")
    else:
        d.unstated.append("split" + (f" (benchmark default: {default.split})" if default else ""))
    p.harness = caption.harness
    if p.harness is None and body is not None and body.harness is not None:
        p.harness = body.harness.value
        d.statements.append(body.harness)
        d.stated.append(f"harness={body.harness.value} (body text)")


_SCORED_AS_ACCURACY = frozenset({"exact_match", "pass@1", "contains"})


def _lm_eval_task(p: ClaimProtocol, d: ProtocolDecision, levels: list[str]) -> str | None:
    """Sets `p.task` to the lm-eval task the claim runs (`shared.benchmarks.LM_EVAL`, the variant for
    the stated shots, formulation and metric; a claim stating lighteval: our config of SmolLM2's
    formulation, `LIGHTEVAL`); else the reason the benchmark cannot run."""
    key = p.benchmark or map_key(levels) or (map_key([d.bench_name]) if d.bench_name else None)
    lighteval = LIGHTEVAL.get("mmlu_cloze" if key == "mmlu" and p.formulation == "cloze" else key or "")
    if p.harness == "lighteval" and lighteval is not None:  # SmolLM2's formulation: our config of it
        p.task = lighteval.task
        return None
    chosen = choose_task(key, n_shot=p.n_shot, formulation=p.formulation, metric=p.metric) if key else None
    if isinstance(chosen, LmEvalTask):
        p.task = chosen.task
        if p.benchmark is None and p.metric == "acc" and chosen.metric in _SCORED_AS_ACCURACY:
            p.metric = chosen.metric  # "accuracy" of a generation task is its own score
            d.stated.append(f"metric={chosen.metric} (the paper's accuracy on {chosen.task})")
        return None
    if d.bench_reason and (chosen is None or "judged" in d.bench_reason):  # names.py's judged reasons are exact
        return d.bench_reason
    name = d.bench_name or p.benchmark_label
    if chosen is not None:
        return (
            f"benchmark '{name}' {chosen}" if chosen.startswith(("is ", "names ")) else f"benchmark '{name}': {chosen}"
        )
    return f"benchmark '{p.benchmark_label}' is not one the evaluator knows"


def _body_key(p: ClaimProtocol, d: ProtocolDecision, levels: list[str]) -> str | None:
    """The key body statements file this cell's benchmark under: ours, the known name, or the printed name."""
    if p.benchmark or d.bench_name:
        return p.benchmark or printed_key(d.bench_name)
    if p.is_aggregate:
        return None
    for level in reversed(levels):  # the deepest level that is a name, not "few-shot" or "accuracy"
        info = parse_label(level)
        if info.n_shot is None and not info.few_shot and info.metric is None and not info.derived:
            return printed_key(level) if _PRINTED_NAME.fullmatch(level) else None
    return None


_PRINTED_NAME = re.compile(r"[A-Za-z][^\n]{1,40}")
_BARE_SIZE = re.compile(r"\s*[\d.,]+\s*[BMKT]?\s*", re.I)


def model_context_instruct(model: AxisEntry, caption: CaptionInfo) -> bool:
    texts = model.context + model.levels[:-1]
    if any(is_instruct_text(t) for t in texts):
        return True
    if any(is_base_text(t) for t in texts):
        return False
    return caption.instruct and not caption.base


def table_candidates(
    table: TableSource,
    layout: Layout,
    doc: Document,
    caption: CaptionInfo,
    resolver: ModelResolver,
    *,
    arxiv_id: str,
    version: int,
    source_sha256: str | None,
    body: TableBody | None = None,
) -> list[Candidate]:
    rows = table.grid.rows
    kept_bench = [b for b in layout.bench_axis if _is_result_label(b, caption)]
    out: list[Candidate] = []
    resolutions: dict[int, Resolution] = {}
    # a model that says it is instruction-tuned makes a bare name beside it unsure ("Qwen 2.5 7B" among
    # "Olmo 3 Instruct 7B" rows): base or instruct, the name alone does not tell
    mixed = any(is_instruct_text(model.levels[-1]) for model in layout.model_axis if model.levels)
    conditions = setting_conditions(kept_bench)
    for model in layout.model_axis:
        instruct = model_context_instruct(model, caption)
        links = [link for cell in model.cells for link in links_in(cell.raw)]
        stated = instruct or caption.base or any(is_base_text(t) for t in model.context + model.levels[:-1])
        resolution = resolver.resolve(
            model.levels, instruct=instruct, cell_links=links, ablation=caption.ablation, mixed=mixed, stated=stated
        )
        for size in model.extra if resolution.model_id is None else []:  # "Qwen2.5" + Size column "1.5B"
            if size not in model.levels:
                sized = resolver.resolve([*model.levels, size], instruct=instruct, mixed=mixed, stated=stated)
                if sized.model_id is not None:
                    resolution = sized
                    break
        resolutions[model.index] = resolution
        for bench in kept_bench:
            r, c = (model.index, bench.index) if layout.models_in_rows else (bench.index, model.index)
            cell = rows[r].cells[c]
            if cell.row != r or cell.col != c:
                continue  # a span from another row or column: claimed at its origin
            number = parse_number(cell.text)
            # one result, or each of a cell's two ("50.9 / 47.3" under "0-shot / 5-shot") with its half of the header
            readings = [(number, bench)] if number is not None else pair_readings(cell, bench)
            shots_text = metric_text = ""
            if layout.shot_col is not None:
                shots_text = plain_label(rows[r].cells[layout.shot_col].text)
            if layout.metric_col is not None:
                metric_text = plain_label(rows[r].cells[layout.metric_col].text)
            for part, reading in enumerate(readings, start=1):
                if reading is None:
                    continue  # "- / 69.1": no result for that half
                value, read_as = reading
                out.append(
                    _cell_candidate(
                        table,
                        layout,
                        cell,
                        value,
                        read_as,
                        model,
                        caption,
                        (shots_text, metric_text),
                        body,
                        instruct,
                        resolution,
                        conditions,
                        part=part if number is None else None,
                        arxiv_id=arxiv_id,
                        version=version,
                        source_sha256=source_sha256,
                        resolver_looks=resolver.looks_like_model,
                    )
                )
    _set_scale(out, caption)
    return out


def _cell_candidate(
    table: TableSource,
    layout: Layout,
    cell: Cell,
    number: ParsedNumber,
    bench: AxisEntry,
    model: AxisEntry,
    caption: CaptionInfo,
    texts: tuple[str, str],
    body: TableBody | None,
    instruct: bool,
    resolution: Resolution,
    conditions: dict[int, str],
    *,
    part: int | None,
    arxiv_id: str,
    version: int,
    source_sha256: str | None,
    resolver_looks: Callable[[str], bool],
) -> Candidate:
    """The claim of one result in one cell (`part`: which of the cell's two results, else None)."""
    shots_text, metric_text = texts
    decision = decide_protocol(
        bench,
        model,
        caption,
        shots_text,
        metric_text,
        body,
        instruct or is_instruct_text(" ".join(model.levels)),
    )
    row_entry, col_entry = (model, bench) if layout.models_in_rows else (bench, model)
    cell_resolution = resolution
    if bench.index in conditions:  # "HellaSwag / Progressive": the paper's setting, not the checkpoint
        cell_resolution = Resolution(
            None,
            "",
            f"'{bench.label}' measures '{resolution.printed or model.label}' under the paper's own setting "
            f"'{conditions[bench.index]}': not the released checkpoint under a standard protocol",
            resolution.evidence,
            printed=resolution.printed or model.label,
        )
    return _candidate(
        table,
        cell,
        number,
        decision,
        cell_resolution,
        model,
        bench,
        row_entry,
        col_entry,
        part=part,
        arxiv_id=arxiv_id,
        version=version,
        source_sha256=source_sha256,
        resolver_looks=resolver_looks,
    )


def _is_result_label(entry: AxisEntry, caption: CaptionInfo) -> bool:
    info = parse_label(" ".join(entry.levels))
    deepest = parse_label(entry.levels[-1])
    if deepest.hyper or (info.hyper and not info.is_result):
        return False
    return info.is_result or caption.results or caption.ablation


def _candidate(
    table: TableSource,
    cell: Cell,
    number: ParsedNumber,
    d: ProtocolDecision,
    resolution: Resolution,
    model: AxisEntry,
    bench: AxisEntry,
    row_entry: AxisEntry,
    col_entry: AxisEntry,
    *,
    part: int | None = None,
    arxiv_id: str,
    version: int,
    source_sha256: str | None,
    resolver_looks: Callable[[str], bool] = lambda _: False,
) -> Candidate:
    p = d.protocol
    reasons = []
    if resolution.reason:
        reasons.append(resolution.reason)
    if p.is_aggregate:
        p.derived = "average"
        reasons.append(f"'{p.benchmark_label}' is an aggregate; it is checked through its component cells")
    elif p.derived:
        reasons.append(f"'{p.benchmark_label}' is derived from other cells ({p.derived})")
    elif (bench_reason := _lm_eval_task(p, d, bench.levels)) is not None:
        reasons.append(bench_reason)
    notes = [f"stated: {', '.join(d.stated) or 'nothing'}"]
    if table.part > 1:
        notes.append(f"tabular {table.part} of {table.printed}")
    if d.unstated:
        notes.append(f"not stated: {', '.join(d.unstated)}")
    if resolution.model_id:
        notes.append(f"model id from {resolution.source}: {resolution.evidence}")
    if number.spread_text:
        notes.append(f"printed with a ± {number.spread_text} spread: the mean is the value")
    if number.marks:
        notes.append(f"marks printed with the value: {' '.join(number.marks)}")
    if number.extra:
        notes.append(f"printed after the value: {number.extra}")
    if part is not None:
        notes.append(f"result {part} of the two the cell prints ({plain_label(cell.text)!r})")
    # the printed model name: the deepest level that names a model ("LLaMA 2 7B", not "Pretrained" beside it)
    named = [level for level in model.levels if resolver_looks(level) and not _BARE_SIZE.fullmatch(level)]
    model_label = named[-1] if named else (model.levels[-1] if model.levels else "")
    claim = Claim(
        claim_id=claim_id(arxiv_id, version, table.label, cell.row, cell.col, part),
        arxiv_id=arxiv_id,
        version=version,
        table_label=table.printed,
        row_index=cell.row,
        col_index=cell.col,
        citation=ClaimCitation(
            paper_arxiv_id=arxiv_id,
            section=table.printed,
            row=row_entry.label,
            column=col_entry.label,
            reported_value=number.value,
            reported_metric=METRIC_WORDS.get(p.metric or "other", "score"),
            quoted_text=number.quoted,
            notes="; ".join(notes),
        ),
        model_label=model_label,
        model_id=resolution.model_id,
        model_resolution=ModelResolution(
            printed=resolution.printed or " / ".join(model.levels),
            source=resolution.source or None,
            evidence=resolution.evidence,
            candidates=list(resolution.candidates),
            want_instruct=resolution.want_instruct,
            hub_query=resolution.hub_query,
            reason=resolution.reason,
        ),
        protocol=p,
        spread=number.spread,
        measurable=not reasons and (p.benchmark in BENCHMARKS or p.task is not None),
        unmeasurable_reason="; ".join(reasons) or None,
        source_sha256=source_sha256,
    )
    return Candidate(claim, cell, number, model.index, bench.levels, d.statements)


def _set_scale(candidates: list[Candidate], caption: CaptionInfo) -> None:
    if caption.percent or not candidates or any(c.number.percent for c in candidates):
        return
    if all(abs(c.number.value) <= 1.0 for c in candidates) and any("." in c.number.quoted for c in candidates):
        for c in candidates:
            c.claim.protocol.scale = "fraction"


def link_aggregates(candidates: list[Candidate]) -> None:
    """An Average claim lists the claims it averages: same model, same header group."""
    for agg in candidates:
        if not agg.claim.protocol.is_aggregate:
            continue
        prefix = agg.bench_levels[:-1]
        parts = [
            c
            for c in candidates
            if c.model_key == agg.model_key
            and c is not agg
            and not c.claim.protocol.is_aggregate
            and c.bench_levels[: len(prefix)] == prefix
        ]
        agg.claim.components = [c.claim.claim_id for c in parts]
        if parts:
            mean = sum(c.number.value for c in parts) / len(parts)
            agg.claim.citation.notes += (
                f"; aggregate of {len(parts)} cells whose mean is {mean:.2f} (printed {agg.number.quoted})"
            )


def evidence_for(doc: Document, cell: Cell) -> Evidence | None:
    located = doc.locate(cell.start, cell.end)
    if located is None:
        return None
    path, start, end = located
    return Evidence(source_file=path, char_start=start, char_end=end, raw_cell=doc.files[path][start:end])
