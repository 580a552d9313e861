"""Table floats of a flattened document: their numbers as the PDF prints them, captions and notes.

Numbering follows LaTeX: the table counter steps at each float's main `\\caption` in document order,
`\\appendix` letters the sections, `\\counterwithin{table}{section}` / `\\numberwithin` give "A.1",
and `\\renewcommand{\\thetable}{...}` / `\\setcounter{table}{n}` are honoured. Subtables are "3a", "3b";
minipages with their own captions are tables of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.extractor.latex import (
    Document,
    find_environment_end,
    match_brace,
    read_group,
    read_optional,
    skip_optionals,
)
from services.extractor.plaintext import strip_superscripts, to_plain
from services.extractor.tables import LONG_TABLES, TABULAR_ENVS, Grid, parse_tabular


@dataclass
class TableSource:
    label: str  # "Table 3", "Table 3a", "Table A.1", "Table 3 (part 2)"
    caption: str  # printed caption (with the subtable's own caption appended)
    notes: str  # printed table notes and other text of the float outside tabulars and captions
    grid: Grid
    tabular_start: int  # flat offset of \begin{tabular}
    main_label: str = ""  # the float's own label, "Table 3" for "Table 3a"
    html_key: tuple[str, str | None, int] = ("", None, 0)  # (float label, subtable tag, tabular index)
    raw_float: str = field(default="", repr=False)
    caption_spans: list[tuple[int, int]] = field(default_factory=list)  # flat spans of its caption(s)

    @property
    def printed(self) -> str:
        """The number the PDF prints: "Table 3" for every tabular of Table 3 ("Table 3 (part 2)" is ours)."""
        return self.label.split(" (part ", 1)[0]

    @property
    def part(self) -> int:
        return int(self.label.rsplit(" (part ", 1)[1].rstrip(")")) if " (part " in self.label else 1


# ---------------------------------------------------------------- numbering


_EVENTS = re.compile(
    r"\\(?P<appendix>appendix)\b"
    r"|\\(?P<section>chapter|section)(?P<star>\*?)(?![A-Za-z@])"
    r"|\\(?:counterwithin\*?|numberwithin)\s*(?:\[[^\]]*\])?\s*\{table\}\s*\{(?P<within>chapter|section)\}"
    r"|\\(?:counterwithout\*?)\s*\{table\}\s*\{(?:chapter|section)\}(?P<without>)"
    r"|\\(?:re|provide)?newcommand\*?\s*\{?\\thetable\}?\s*(?P<thetable>\{)"
    r"|\\def\s*\\thetable\s*(?P<thetable2>\{)"
    r"|\\setcounter\s*\{table\}\s*\{\s*(?P<setcounter>-?\d+)\s*\}"
    r"|\\addtocounter\s*\{table\}\s*\{\s*(?P<addtocounter>-?\d+)\s*\}"
    r"|\\begin\s*\{(?P<float>table\*?|sidewaystable\*?|wraptable|SCtable\*?)\}"
    r"|\\begin\s*\{(?P<long>" + "|".join(re.escape(n) for n in LONG_TABLES) + r")\}"
    r"|\\captionof\s*\{table\}(?P<captionof>)"
    r"|\\begin\s*\{(?P<figure>figure\*?)\}"
)
_TYPE_TABLE = re.compile(r"\\captionsetup\s*(?:\[[^\]]*\])?\s*\{[^{}]*type\s*=\s*table")
_REPORT_CLASS = re.compile(r"\\documentclass\s*(?:\[[^\]]*\])?\s*\{(?:report|book|memoir|scrreprt|scrbook)\}")


class _Counter:
    def __init__(self, within: str | None = None) -> None:
        self.section = 0
        self.appendix = False
        self.table = 0
        self.within = within  # "chapter" or "section": the table counter resets there and prints "2.3"
        self.template: str | None = None

    def thesection(self) -> str:
        return _alph(self.section) if self.appendix else str(self.section)

    def step(self) -> str:
        self.table += 1
        if self.template is not None:
            return _format_template(self.template, self)
        return f"{self.thesection()}.{self.table}" if self.within else str(self.table)

    def sectioning(self, command: str) -> None:
        """A numbered \\chapter or \\section: counts the level tables are numbered within."""
        if self.within == "chapter" and command == "section":
            return
        if self.within is None and command == "chapter":
            return
        self.section += 1
        if self.within:
            self.table = 0


def _alph(n: int) -> str:
    return chr(ord("A") + n - 1) if 1 <= n <= 26 else str(n)


def _roman(n: int) -> str:
    out, values = (
        "",
        [
            (1000, "m"),
            (900, "cm"),
            (500, "d"),
            (400, "cd"),
            (100, "c"),
            (90, "xc"),
            (50, "l"),
            (40, "xl"),
            (10, "x"),
            (9, "ix"),
            (5, "v"),
            (4, "iv"),
            (1, "i"),
        ],
    )
    for v, s in values:
        while n >= v > 0:
            out, n = out + s, n - v
    return out


def _format_template(template: str, c: _Counter) -> str:
    counters = {"table": c.table, "section": c.section}

    def fmt(m: re.Match[str]) -> str:
        style, name = m.group(1), m.group(2)
        value = counters.get(name, 0)
        if name == "section" and style == "arabic" and c.appendix:
            return str(value)
        return {
            "arabic": str(value),
            "Alph": _alph(value),
            "alph": _alph(value).lower(),
            "Roman": _roman(value).upper(),
            "roman": _roman(value),
        }[style]

    text = re.sub(r"\\(arabic|Alph|alph|Roman|roman)\s*\{(\w+)\}", fmt, template)
    text = text.replace("\\thesection", c.thesection())
    text = re.sub(r"\\[A-Za-z@]+", "", text)
    return re.sub(r"[{}\s]", "", text) or str(c.table)


# ---------------------------------------------------------------- floats


def find_tables(doc: Document, check: Callable[[], None] = lambda: None) -> list[TableSource]:
    """Every tabular inside a table float, labelled as the PDF prints it, in document order."""
    text = doc.text
    counter = _Counter("chapter" if _REPORT_CLASS.search(text[:5000]) else None)
    tables: list[TableSource] = []
    unnumbered = 0
    pos = 0
    while True:
        m = _EVENTS.search(text, pos)
        if not m:
            break
        check()
        pos = m.end()
        kind = m.lastgroup
        if m.group("appendix") is not None:
            counter.appendix, counter.section = True, 0
        elif m.group("section") is not None:
            if not m.group("star") and read_group(text, skip_optionals(text, m.end())) is not None:
                counter.sectioning(m.group("section"))
        elif m.group("within") is not None:
            counter.within = m.group("within")
        elif m.group("without") is not None:
            counter.within = None
        elif kind in ("thetable", "thetable2"):
            end = match_brace(text, m.end() - 1)
            if end > 0:
                counter.template = text[m.end() : end - 1]
                pos = end
        elif m.group("setcounter") is not None:
            counter.table = int(m.group("setcounter"))
        elif m.group("addtocounter") is not None:
            counter.table += int(m.group("addtocounter"))
        elif m.group("float") is not None or m.group("long") is not None:
            name = m.group("float") or m.group("long")
            body_end, env_end = find_environment_end(text, name, m.end())
            if body_end < 0:
                continue
            if m.group("long") is not None:
                found, unnumbered = _long_table(doc, m.start(), env_end, counter, unnumbered)
            else:
                found, unnumbered = _float_tables(doc, m.end(), body_end, counter, unnumbered)
            tables.extend(found)
            pos = env_end
        elif m.group("figure") is not None:
            body_end, env_end = find_environment_end(text, m.group("figure"), m.end())
            if body_end > 0 and _TYPE_TABLE.search(text, m.end(), body_end):  # a figure captioned as a table
                found, unnumbered = _float_tables(doc, m.end(), body_end, counter, unnumbered)
                tables.extend(found)
                pos = env_end
        elif m.group("captionof") is not None:
            tables.extend(_captionof_table(doc, m.start(), counter))
    return tables


def _long_table(
    doc: Document, begin: int, env_end: int, counter: _Counter, unnumbered: int
) -> tuple[list[TableSource], int]:
    """A longtable is its own float; it takes a number from the table counter, printed when it has a caption."""
    captions = [c for c in _captions(doc.text, begin, env_end, doc.macros) if c[3]]
    number = counter.step()  # longtable steps the table counter even without a caption
    if captions:
        label = f"Table {number}"
    else:
        unnumbered += 1
        label = f"Unnumbered table {unnumbered}"
    grid = parse_tabular(doc, begin, env_end)
    if grid is None:
        return [], unnumbered
    caption = " ".join(c[2] for c in captions)
    notes = _notes(doc, begin, env_end, [], [])
    spans = [(c[0], c[1]) for c in captions]
    return [
        TableSource(label, caption, notes, grid, begin, label, (label, None, 0), doc.text[begin:env_end], spans)
    ], unnumbered


_GROUPS = re.compile(r"\\begin\s*\{(minipage|center|figure\*?|wrapfigure|floatrow|adjustbox|threeparttable)\}")
_NEAR = 1500  # how far a caption written outside any box may stand from its tabular


def _captionof_table(doc: Document, at: int, counter: _Counter) -> list[TableSource]:
    """`\\captionof{table}{...}` outside a table float (in a minipage, a wrapfigure, the text): it numbers
    the tabulars of the box it stands in, or else the nearest tabular just above or below it."""
    text = doc.text
    caption = _captions(text, at, min(len(text), at + 5000), doc.macros)
    if not caption:
        return []
    label = f"Table {counter.step()}"
    start, end = _enclosing_group(text, at)
    tabulars = _environments(text, TABULAR_ENVS, start, end, outermost=True) if end > start else []
    if not tabulars:
        before = [
            t for t in _environments(text, TABULAR_ENVS, max(0, at - 20000), at, outermost=True) if at - t[1] <= _NEAR
        ]
        after = _environments(text, TABULAR_ENVS, caption[0][1], min(len(text), caption[0][1] + _NEAR), outermost=True)[
            :1
        ]
        near = [(at - t[1], t) for t in before[-1:]] + [(t[0] - caption[0][1], t) for t in after]
        tabulars = [min(near)[1]] if near else []
    out = []
    for k, (t_start, t_end) in enumerate(tabulars):
        grid = parse_tabular(doc, t_start, t_end)
        if grid is not None:
            part = label if k == 0 else f"{label} (part {k + 1})"
            out.append(
                TableSource(
                    part,
                    caption[0][2],
                    "",
                    grid,
                    t_start,
                    label,
                    (label, None, k),
                    text[start:end],
                    [(caption[0][0], caption[0][1])],
                )
            )
    return out


def _enclosing_group(text: str, at: int) -> tuple[int, int]:
    """The innermost minipage/center/figure around `at` (bounded look-back), else an empty span."""
    best = (at, at)
    for m in _GROUPS.finditer(text, max(0, at - 4000), at):
        body_end, env_end = find_environment_end(text, m.group(1), m.end(), min(len(text), at + 20000))
        if body_end > at:
            best = (m.start(), env_end)
    return best


def _float_tables(
    doc: Document, start: int, end: int, counter: _Counter, unnumbered: int
) -> tuple[list[TableSource], int]:
    text = doc.text
    all_captions = _captions(text, start, end, doc.macros)
    subs = _environments(text, ("subtable",), start, end) + _subfloats(text, start, end)
    subs += [
        mp
        for mp in _environments(text, ("minipage",), start, end)
        if _SUBCAPTION.search(text, mp[0], mp[1]) and not any(s <= mp[0] < e for s, e in subs)
    ]
    subs.sort()
    captions = [c for c in all_captions if not c[4] and not any(s <= c[0] < e for s, e in subs)]
    numbered = [c for c in captions if c[3]]
    tabulars = _environments(text, TABULAR_ENVS, start, end, outermost=True)
    if not tabulars:
        return [], unnumbered
    # (label, float label, caption, tabulars, subtable tag)
    units: list[tuple[str, str, str, list[tuple[int, int]], str | None]] = []
    if len(numbered) > 1 and not subs:  # several tables side by side in one float, each with its caption
        boxes = [
            b
            for b in _environments(text, ("minipage",), start, end) + _parboxes(text, start, end)
            if sum(1 for c in numbered if b[0] <= c[0] < b[1]) == 1
        ]
        owners: dict[int, list[tuple[int, int]]] = {k: [] for k in range(len(numbered))}
        for tab in tabulars:
            box = next((b for b in boxes if b[0] <= tab[0] < b[1]), None)
            if box is not None:
                k = next(k for k, c in enumerate(numbered) if box[0] <= c[0] < box[1])
            else:  # the nearest caption, above or below
                k = min(
                    range(len(numbered)), key=lambda k: min(abs(numbered[k][0] - tab[1]), abs(tab[0] - numbered[k][1]))
                )
            owners[k].append(tab)
        for k, cap in enumerate(numbered):
            label = f"Table {counter.step()}"
            if owners[k]:
                units.append((label, label, cap[2], owners[k], None))
    else:
        if numbered or any(c[3] and any(s <= c[0] < e for s, e in subs) for c in all_captions):
            # subcaption steps the float's counter for captioned subtables even without a main caption
            label = f"Table {counter.step()}"
        else:  # no caption, or only \caption*: LaTeX prints no number
            unnumbered += 1
            label = f"Unnumbered table {unnumbered}"
        caption = " ".join(c[2] for c in captions)
        outside = [t for t in tabulars if not any(s <= t[0] < e for s, e in subs)]
        if outside:
            units.append((label, label, caption, outside, None))
        for k, (s, e) in enumerate(subs):
            letter = chr(ord("a") + k) if k < 26 else str(k)
            sub_caption = " ".join(c[2] for c in all_captions if s <= c[0] < e)
            tabs = [t for t in tabulars if s <= t[0] < e]
            full_caption = f"{caption} ({letter}) {sub_caption}".strip()
            units.append((f"{label}{letter}", label, full_caption, tabs, f"({letter})"))
    notes = _notes(doc, start, end, tabulars, all_captions)
    result = []
    for label, main, caption, tabs, tag in units:
        for k, (t_start, t_end) in enumerate(tabs):
            grid = parse_tabular(doc, t_start, t_end)
            if grid is None:
                continue
            part = label if k == 0 else f"{label} (part {k + 1})"
            result.append(
                TableSource(
                    part,
                    caption,
                    notes,
                    grid,
                    t_start,
                    main,
                    (main, tag, k),
                    text[start:end],
                    [(c[0], c[1]) for c in all_captions],
                )
            )
    return result, unnumbered


_SUBCAPTION = re.compile(r"\\subcaption(?![A-Za-z@])")


def _parboxes(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of `\\parbox[pos]{width}{content}` boxes."""
    found = []
    for m in re.finditer(r"\\parbox\b", text[start:end]):
        pos = skip_optionals(text, start + m.end())
        width = read_group(text, pos)
        content = read_group(text, width[2]) if width is not None else None
        if content is not None and content[2] <= end:
            found.append((start + m.start(), content[2]))
    return found


def _environments(
    text: str, names: tuple[str, ...], start: int, end: int, outermost: bool = False
) -> list[tuple[int, int]]:
    """(begin offset, end offset) of environments named `names` within [start, end)."""
    pattern = re.compile(r"\\begin\s*\{(" + "|".join(re.escape(n) for n in names) + r")\}")
    found: list[tuple[int, int]] = []
    pos = start
    while True:
        m = pattern.search(text, pos, end)
        if not m:
            return found
        body_end, env_end = find_environment_end(text, m.group(1), m.end(), end)
        if body_end < 0:
            pos = m.end()
            continue
        found.append((m.start(), env_end))
        pos = env_end if outermost else m.end()


def _subfloats(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """`\\subfloat[caption]{content}` and `\\subcaptionbox{caption}[width]{content}` spans."""
    found = []
    for m in re.finditer(r"\\(subfloat|subcaptionbox)\b\*?", text[start:end]):
        pos = start + m.end()
        opt = read_optional(text, pos)
        pos = opt[1] if opt else pos
        if m.group(1) == "subcaptionbox":
            caption = read_group(text, pos)
            if caption is None:
                continue
            pos = skip_optionals(text, caption[2])
        group = read_group(text, pos)
        if group is not None:
            found.append((start + m.start(), group[2]))
    return found


Caption = tuple[int, int, str, bool, bool]  # (start, end, printed text, numbered, a subcaption)


def _captions(text: str, start: int, end: int, macros: dict[str, Any] | None = None) -> list[Caption]:
    out = []
    for m in re.finditer(r"\\(sub)?caption(?:of\s*\{table\})?(?![A-Za-z@])(\*?)", text[start:end]):
        pos = start + m.end()
        opt = read_optional(text, pos)
        pos = opt[1] if opt else pos
        group = read_group(text, pos)
        if group is not None and group[2] <= end:
            plain = re.sub(r"\s+", " ", strip_superscripts(to_plain(group[0], macros))[0]).strip()
            out.append((start + m.start(), group[2], plain, not m.group(2), bool(m.group(1))))
    return out


def _notes(doc: Document, start: int, end: int, tabulars: list[tuple[int, int]], captions: list[Caption]) -> str:
    spans = sorted([(s, e) for s, e in tabulars] + [(c[0], c[1]) for c in captions])
    pieces, pos = [], start
    for s, e in spans:
        if s > pos:
            pieces.append(doc.text[pos:s])
        pos = max(pos, e)
    pieces.append(doc.text[pos:end])
    plain = to_plain(" ".join(pieces)[:5000], doc.macros)
    return re.sub(r"\s+", " ", plain).strip()[:1000]
