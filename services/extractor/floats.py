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

from services.extractor.latex import (
    Document,
    find_environment_end,
    match_brace,
    read_group,
    read_optional,
    skip_optionals,
)
from services.extractor.plaintext import strip_superscripts, to_plain
from services.extractor.tables import Grid, parse_tabular

TABULAR_ENVS = ("tabular", "tabular*", "tabularx", "tabulary")
FLOAT_ENVS = ("table", "table*", "sidewaystable", "sidewaystable*", "wraptable")


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


# ---------------------------------------------------------------- numbering


_EVENTS = re.compile(
    r"\\(?P<appendix>appendix)\b"
    r"|\\(?P<section>section)(?P<star>\*?)(?![A-Za-z@])"
    r"|\\(?:counterwithin\*?|numberwithin)\s*(?:\[[^\]]*\])?\s*\{table\}\s*\{section\}(?P<within>)"
    r"|\\(?:re|provide)?newcommand\*?\s*\{?\\thetable\}?\s*(?P<thetable>\{)"
    r"|\\setcounter\s*\{table\}\s*\{\s*(?P<setcounter>-?\d+)\s*\}"
    r"|\\begin\s*\{(?P<float>table\*?|sidewaystable\*?|wraptable)\}"
)


class _Counter:
    def __init__(self) -> None:
        self.section = 0
        self.appendix = False
        self.table = 0
        self.within = False
        self.template: str | None = None

    def thesection(self) -> str:
        return _alph(self.section) if self.appendix else str(self.section)

    def step(self) -> str:
        self.table += 1
        if self.template is not None:
            return _format_template(self.template, self)
        return f"{self.thesection()}.{self.table}" if self.within else str(self.table)


def _alph(n: int) -> str:
    return chr(ord("A") + n - 1) if 1 <= n <= 26 else str(n)


def _roman(n: int) -> str:
    out, values = "", [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                       (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
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
        return {"arabic": str(value), "Alph": _alph(value), "alph": _alph(value).lower(),
                "Roman": _roman(value).upper(), "roman": _roman(value)}[style]

    text = re.sub(r"\\(arabic|Alph|alph|Roman|roman)\s*\{(\w+)\}", fmt, template)
    text = text.replace("\\thesection", c.thesection())
    text = re.sub(r"\\[A-Za-z@]+", "", text)
    return re.sub(r"[{}\s]", "", text) or str(c.table)


# ---------------------------------------------------------------- floats


def find_tables(doc: Document, check: Callable[[], None] = lambda: None) -> list[TableSource]:
    """Every tabular inside a table float, labelled as the PDF prints it, in document order."""
    text = doc.text
    counter = _Counter()
    tables: list[TableSource] = []
    unnumbered = 0
    pos = 0
    while True:
        m = _EVENTS.search(text, pos)
        if not m:
            break
        check()
        pos = m.end()
        if m.group("appendix") is not None:
            counter.appendix, counter.section = True, 0
        elif m.group("section") is not None:
            if not m.group("star") and read_group(text, skip_optionals(text, m.end())) is not None:
                counter.section += 1
                if counter.within:
                    counter.table = 0
        elif m.group("within") is not None:
            counter.within = True
        elif m.group("thetable") is not None:
            end = match_brace(text, m.end() - 1)
            if end > 0:
                counter.template = text[m.end() : end - 1]
                pos = end
        elif m.group("setcounter") is not None:
            counter.table = int(m.group("setcounter"))
        elif m.group("float") is not None:
            name = m.group("float")
            body_end, env_end = find_environment_end(text, name, m.end())
            if body_end < 0:
                continue
            found, unnumbered = _float_tables(doc, m.end(), body_end, counter, unnumbered)
            tables.extend(found)
            pos = env_end
    return tables


def _float_tables(doc: Document, start: int, end: int, counter: _Counter,
                  unnumbered: int) -> tuple[list[TableSource], int]:
    text = doc.text
    subs = _environments(text, ("subtable",), start, end) + _subfloats(text, start, end)
    subs.sort()
    captions = [c for c in _captions(text, start, end, doc.macros) if not any(s <= c[0] < e for s, e in subs)]
    tabulars = _environments(text, TABULAR_ENVS, start, end, outermost=True)
    if not tabulars:
        return [], unnumbered
    minipages = [mp for mp in _environments(text, ("minipage",), start, end)
                 if sum(1 for c in captions if mp[0] <= c[0] < mp[1]) == 1]
    # (label, float label, caption, tabulars, subtable tag)
    units: list[tuple[str, str, str, list[tuple[int, int]], str | None]] = []
    if len(captions) > 1 and minipages:
        for mp_start, mp_end in minipages:
            cap = next(c for c in captions if mp_start <= c[0] < mp_end)
            tabs = [t for t in tabulars if mp_start <= t[0] < mp_end]
            label = f"Table {counter.step()}"
            units.append((label, label, cap[2], tabs, None))
    else:
        if captions:
            label = f"Table {counter.step()}"
            caption = " ".join(c[2] for c in captions)
        else:
            unnumbered += 1
            label, caption = f"Unnumbered table {unnumbered}", ""
        outside = [t for t in tabulars if not any(s <= t[0] < e for s, e in subs)]
        if outside:
            units.append((label, label, caption, outside, None))
        for k, (s, e) in enumerate(subs):
            letter = chr(ord("a") + k) if k < 26 else str(k)
            sub_caption = " ".join(c[2] for c in _captions(text, s, e, doc.macros))
            tabs = [t for t in tabulars if s <= t[0] < e]
            full_caption = f"{caption} ({letter}) {sub_caption}".strip()
            units.append((f"{label}{letter}", label, full_caption, tabs, f"({letter})"))
    notes = _notes(doc, start, end, tabulars, _captions(text, start, end, doc.macros))
    result = []
    for label, main, caption, tabs, tag in units:
        for k, (t_start, t_end) in enumerate(tabs):
            grid = parse_tabular(doc, t_start, t_end)
            if grid is None:
                continue
            part = label if k == 0 else f"{label} (part {k + 1})"
            result.append(TableSource(part, caption, notes, grid, t_start, main, (main, tag, k), text[start:end]))
    return result, unnumbered


def _environments(text: str, names: tuple[str, ...], start: int, end: int,
                  outermost: bool = False) -> list[tuple[int, int]]:
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
    found = []
    for m in re.finditer(r"\\subfloat\b", text[start:end]):
        pos = start + m.end()
        opt = read_optional(text, pos)
        pos = opt[1] if opt else pos
        group = read_group(text, pos)
        if group is not None:
            found.append((start + m.start(), group[2]))
    return found


def _captions(text: str, start: int, end: int, macros: dict | None = None) -> list[tuple[int, int, str]]:
    out = []
    for m in re.finditer(r"\\(?:sub)?caption(?![A-Za-z@])\*?", text[start:end]):
        pos = start + m.end()
        opt = read_optional(text, pos)
        pos = opt[1] if opt else pos
        group = read_group(text, pos)
        if group is not None and group[2] <= end:
            plain = re.sub(r"\s+", " ", strip_superscripts(to_plain(group[0], macros))[0]).strip()
            out.append((start + m.start(), group[2], plain))
    return out


def _notes(doc: Document, start: int, end: int, tabulars: list[tuple[int, int]],
           captions: list[tuple[int, int, str]]) -> str:
    spans = sorted([(s, e) for s, e in tabulars] + [(s, e) for s, e, _ in captions])
    pieces, pos = [], start
    for s, e in spans:
        if s > pos:
            pieces.append(doc.text[pos:s])
        pos = max(pos, e)
    pieces.append(doc.text[pos:end])
    plain = to_plain(" ".join(pieces)[:5000], doc.macros)
    return re.sub(r"\s+", " ", plain).strip()[:1000]
