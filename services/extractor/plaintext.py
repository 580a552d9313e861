"""From a cell's LaTeX to the text the PDF prints, and from that text to a number.

`to_plain` drops formatting (`\\textbf`, `\\cellcolor`, `\\best`-style user macros, sizes, citations),
keeps what is printed, and wraps superscripts in SUP_OPEN/SUP_CLOSE so footnote marks can be told
apart from the value. `parse_number` accepts one printed number with an optional `±` spread, `%`,
parenthesised delta and footnote marks; anything else (a size like `1.7B`, two numbers, text) is not
a number cell.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from services.extractor.latex import (
    Macro,
    expand_macros,
    match_brace,
    read_group,
    read_optional,
)

SUP_OPEN, SUP_CLOSE = "\x01", "\x02"
MAX_DEPTH = 30

# name -> (optional args to skip, mandatory args to drop); the command prints nothing.
_DROP: dict[str, tuple[int, int]] = {
    "cite": (2, 1),
    "citep": (2, 1),
    "citet": (2, 1),
    "citealp": (2, 1),
    "citeauthor": (2, 1),
    "citeyear": (2, 1),
    "nocite": (0, 1),
    "label": (0, 1),
    "ref": (0, 1),
    "eqref": (0, 1),
    "hspace": (0, 1),
    "vspace": (0, 1),
    "phantom": (0, 1),
    "hphantom": (0, 1),
    "vphantom": (0, 1),
    "footnote": (1, 1),
    "footnotetext": (1, 1),
    "footnotemark": (1, 0),
    "tnote": (0, 1),
    "cellcolor": (1, 1),
    "rowcolor": (1, 1),
    "columncolor": (1, 1),
    "color": (1, 1),
    "arrayrulecolor": (1, 1),
    "rule": (1, 2),
    "includegraphics": (1, 1),
    "setlength": (0, 2),
    "addlinespace": (1, 0),
    "url": (0, 1),
    "linewidth": (0, 0),
    "textwidth": (0, 0),
    "vskip": (0, 0),
    "cmidrule": (1, 1),
    "cline": (0, 1),
    "specialrule": (0, 3),
    "index": (0, 1),
    # size and font switches print nothing themselves (`\fontsize{8}{8}\selectfont` must not print "88")
    "fontsize": (0, 2),
    "selectfont": (0, 0),
    "linespread": (0, 1),
    "arraystretch": (0, 0),
    "tabcolsep": (0, 0),
    "renewcommand": (0, 2),
    "newcommand": (0, 2),
    "definecolor": (0, 3),
    "rowcolors": (1, 3),
    "setcounter": (0, 2),
    "addtocounter": (0, 2),
    "stepcounter": (0, 1),
    "RowStyle": (1, 1),
    "SetCell": (1, 0),
    "SetRow": (1, 1),
    "Hline": (1, 0),
    "hdashline": (1, 0),
    "vrule": (0, 0),
    "strut": (0, 0),
}
# name -> (optional args, leading mandatory args to drop); the last mandatory argument is printed.
_KEEP_LAST: dict[str, tuple[int, int]] = {
    "textcolor": (1, 1),
    "colorbox": (1, 1),
    "fcolorbox": (1, 2),
    "raisebox": (2, 1),
    "resizebox": (0, 2),
    "scalebox": (1, 1),
    "makebox": (2, 0),
    "parbox": (3, 1),
    "href": (0, 1),
    "multicolumn": (0, 2),
    "adjustbox": (0, 1),
    "rotatebox": (1, 1),
    "framebox": (2, 0),
    "makecell": (1, 0),
    "shortstack": (1, 0),
    "thead": (1, 0),
    "diagbox": (1, 1),
    "Block": (1, 1),
    "multirowcell": (1, 1),
    "hyperlink": (0, 1),
    "hyperref": (1, 0),
    "texorpdfstring": (0, 1),
}
_SYMBOLS = {
    "pm": "±",
    "textpm": "±",
    "mp": "∓",
    "times": "×",
    "sim": "~",
    "approx": "≈",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "uparrow": "↑",
    "downarrow": "↓",
    "rightarrow": "→",
    "to": "→",
    "checkmark": "✓",
    "ldots": "…",
    "dots": "…",
    "cdots": "…",
    "textasciitilde": "~",
    "textendash": "–",
    "textemdash": "—",
    "dagger": "†",
    "ddagger": "‡",
    "textdagger": "†",
    "textdaggerdbl": "‡",
    "dag": "†",
    "ddag": "‡",
    "S": "§",
    "P": "¶",
    "ast": "*",
    "star": "⋆",
    "bigstar": "⋆",
    "degree": "°",
    "circ": "°",
    "cdot": "·",
    "textbar": "|",
    "textbackslash": "\\",
    "%": "%",
    "infty": "∞",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "lambda": "λ",
    "mu": "μ",
    "theta": "θ",
    "sigma": "σ",
    "tau": "τ",
    "Delta": "Δ",
    "minus": "-",
    "ensuremath": "",
    "quad": " ",
    "qquad": " ",
    "enspace": " ",
    "thinspace": " ",
    "hfill": " ",
    "newline": " ",
    "par": " ",
    "cr": " ",
    "textless": "<",
    "textgreater": ">",
    "i": "i",
    "j": "j",
    "copyright": "©",
    "ss": "ß",
    "o": "ø",
    "ae": "æ",
}
_ESCAPES = {
    "%": "%",
    "&": "&",
    "_": "_",
    "#": "#",
    "$": "$",
    "{": "{",
    "}": "}",
    " ": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    "/": "",
    "-": "",
    "|": "‖",
}
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "u": "\u0306",
    "H": "\u030b",
    "k": "\u0328",
}
_BEGIN_ARGS = {"tabular": 1, "tabular*": 2, "tabularx": 2, "array": 1, "minipage": 1, "subtable": 1}
_CONTROL = re.compile(r"\\([A-Za-z@]+)\*?")


def to_plain(latex: str, macros: dict[str, Macro] | None = None) -> str:
    """The printed text of a LaTeX fragment (superscripts wrapped in SUP_OPEN ... SUP_CLOSE)."""
    if macros:
        latex = expand_macros(latex, macros)
    return _Converter(latex).run()


def strip_superscripts(plain: str) -> tuple[str, list[str]]:
    marks: list[str] = []

    def keep(m: re.Match[str]) -> str:
        marks.append(m.group(1))
        return ""

    previous = None
    while previous != plain:  # innermost first, so nested superscripts go too
        previous = plain
        plain = re.sub(f"{SUP_OPEN}([^{SUP_OPEN}{SUP_CLOSE}]*){SUP_CLOSE}", keep, plain)
    return plain.replace(SUP_OPEN, "").replace(SUP_CLOSE, ""), marks


_LABEL_MARKS = re.compile(r"[†‡§¶⋆↑↓*]+")


def label_text(latex: str, macros: dict[str, Macro] | None = None) -> str:
    """A header label as printed, without footnote marks, arrows and superscripts."""
    return plain_label(to_plain(latex, macros))


def plain_label(plain: str) -> str:
    """`label_text` for text already converted by `to_plain`."""
    plain, _ = strip_superscripts(plain)
    plain = _LABEL_MARKS.sub("", plain)
    plain = re.sub(r"\(\s*\)", "", plain)
    return re.sub(r"\s+", " ", plain).strip(" ,;:")


class _Converter:
    def __init__(self, text: str, depth: int = 0) -> None:
        self.s = text
        self.depth = depth

    def run(self) -> str:
        s, i, n = self.s, 0, len(self.s)
        out: list[str] = []
        while i < n:
            c = s[i]
            if c == "\\":
                i = self._control(i, out)
            elif c in "{}$":
                i += 1
            elif c == "~":
                out.append(" ")
                i += 1
            elif c in "^_":
                arg = read_group(s, i + 1)
                if arg is None:
                    i += 1
                    continue
                inner = self._sub(arg[0])
                out.append(f"{SUP_OPEN}{inner}{SUP_CLOSE}" if c == "^" else f" {inner} ")
                i = arg[2]
            elif c == "-":
                j = i
                while j < n and s[j] == "-":
                    j += 1
                out.append({1: "-", 2: "–"}.get(j - i, "—"))
                i = j
            else:
                out.append(c)
                i += 1
        return re.sub(r"[ \t\r\n]+", " ", "".join(out)).strip()

    def _sub(self, text: str) -> str:
        if self.depth >= MAX_DEPTH:
            return ""
        return _Converter(text, self.depth + 1).run()

    def _control(self, i: int, out: list[str]) -> int:
        s = self.s
        if i + 1 >= len(s):
            return i + 1
        nxt = s[i + 1]
        if nxt == "\\":  # a line break inside a cell
            out.append(" ")
            opt = read_optional(s, i + 2)
            return opt[1] if opt else i + 2
        if nxt in _ACCENTS and not nxt.isalpha() or (nxt in "cvuHk" and i + 2 < len(s) and s[i + 2] == "{"):
            arg = read_group(s, i + 2)
            if arg is not None and nxt in _ACCENTS:
                base = self._sub(arg[0])
                out.append(unicodedata.normalize("NFC", base[:1] + _ACCENTS[nxt] + base[1:]) if base else "")
                return arg[2]
        m = _CONTROL.match(s, i)
        if not m:
            out.append(_ESCAPES.get(nxt, nxt))
            return i + 2
        return self._command(m.group(1), m.end(), out)

    def _command(self, name: str, pos: int, out: list[str]) -> int:
        """A named command `\\name` whose name ends before `pos`: what it prints goes to `out`."""
        s = self.s
        if name in _SYMBOLS:
            out.append(_SYMBOLS[name])
            return pos
        if name in ("textsuperscript", "textsubscript"):
            arg = read_group(s, pos)
            if arg is None:
                return pos
            inner = self._sub(arg[0])
            out.append(f"{SUP_OPEN}{inner}{SUP_CLOSE}" if name == "textsuperscript" else f" {inner} ")
            return arg[2]
        if name in ("color", "textcolor"):
            colour = read_group(s, _skip_optional_all(s, pos))
            if colour is not None and _INVISIBLE.fullmatch(colour[0].strip()):
                # white text is invisible ("{\color{white}0}0.00" prints "0.00"): drop what it colours
                if name == "textcolor":
                    arg = read_group(s, colour[2])
                    return arg[2] if arg is not None else colour[2]
                return _group_end(s, colour[2])
        if name in _DROP:
            n_opt, n_args = _DROP[name]
            return self._skip_args(pos, n_opt, n_args)
        if name in _KEEP_LAST:
            n_opt, n_drop = _KEEP_LAST[name]
            pos = self._skip_args(pos, n_opt, n_drop)
            return self._last_group(_skip_optional_all(s, pos), out)
        if name == "multirow":
            pos = _skip_optional_all(s, pos)
            pos = self._skip_args(pos, 0, 1)
            pos = _skip_optional_all(s, pos)
            pos = self._skip_args(pos, 0, 1)
            return self._last_group(_skip_optional_all(s, pos), out)
        if name in ("begin", "end"):
            arg = read_group(s, pos)
            if arg is None:
                return pos
            pos = arg[2]
            if name == "begin":
                pos = _skip_optional_all(s, pos)
                pos = self._skip_args(pos, 0, _BEGIN_ARGS.get(arg[0].strip(), 0))
            out.append(" ")
            return pos
        return pos  # unknown command: it prints nothing itself, its braced arguments print as text

    def _last_group(self, pos: int, out: list[str]) -> int:
        """The braced argument at `pos`, as text (the printed argument of \\textcolor, \\multirow, ...)."""
        arg = read_group(self.s, pos)
        if arg is None:
            return pos
        out.append(self._sub(arg[0]))
        return arg[2]

    def _skip_args(self, pos: int, n_opt: int, n_args: int) -> int:
        s = self.s
        for _ in range(n_opt):
            opt = read_optional(s, pos)
            if opt is None:
                break
            pos = opt[1]
        for _ in range(n_args):
            arg = read_group(s, pos)
            if arg is None:
                break
            pos = arg[2]
        return pos


_INVISIBLE = re.compile(r"white|white!100|bg|background|pagecolor")


def _group_end(s: str, pos: int) -> int:
    """The offset of the `}` closing the group `pos` stands in (or the end of the text)."""
    depth = 0
    i = pos
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return len(s)


def _skip_optional_all(s: str, pos: int) -> int:
    for _ in range(4):
        opt = read_optional(s, pos)
        if opt is None:
            return pos
        pos = opt[1]
    return pos


# ---------------------------------------------------------------- numbers


@dataclass(frozen=True)
class ParsedNumber:
    quoted: str  # the number exactly as printed ("45.2", "-1.3", ".452")
    value: float
    spread: float | None = None
    spread_text: str | None = None
    percent: bool = False
    marks: tuple[str, ...] = ()  # footnote marks and superscripts printed next to it
    extra: str = ""  # a parenthesised or arrowed delta printed after it

    @property
    def unsigned(self) -> str:
        return self.quoted.lstrip("+-−")


_N = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_NUMBER_CELL = re.compile(
    rf"^(?P<sign>[-+−]?)\s?(?P<num>{_N})\s*(?P<pct>%)?"
    rf"\s*(?:(?:±|\+/-|\+-)\s*(?P<spread>{_N})\s*%?)?"
    rf"\s*(?:\((?P<paren>[^()]{{0,24}})\)|\[(?P<brack>[^\[\]]{{0,24}})\]|(?P<delta>[↑↓+\-−]\s*(?:{_N})%?))?"
    r"\s*(?P<marks>[†‡§¶*⋆✓]*)\s*$"
)
_MISSING = re.compile(r"^(?:[-–—/×?]+|n/?a|N/?A|—|none|None|\\)?$")


def is_missing(plain: str) -> bool:
    """Empty or a printed placeholder for a missing value ("--", "–", "N/A")."""
    text, _ = strip_superscripts(plain)
    return bool(_MISSING.match(text.strip()))


def parse_number(plain: str) -> ParsedNumber | None:
    """One printed number (with optional ± spread, %, delta, marks), or None."""
    text, sups = strip_superscripts(plain)
    text = text.strip()
    if len(text) > 60:
        return None
    m = _NUMBER_CELL.match(text)
    if not m:
        return None
    sign = m.group("sign")
    num = m.group("num")
    value = float(num.replace(",", ""))
    if sign in ("-", "−"):
        value = -value
    spread_text = m.group("spread")
    extra = m.group("delta") or ""
    paren = (m.group("paren") or m.group("brack") or "").strip()
    if paren:
        pm = re.fullmatch(rf"(?:±|\+/-)\s*({_N})", paren)
        if pm and spread_text is None:
            spread_text = pm.group(1)
        else:
            extra = f"({paren})"
    spread = float(spread_text.replace(",", "")) if spread_text else None
    marks = tuple(x for x in (*sups, *m.group("marks")) if x.strip())
    return ParsedNumber(
        quoted=f"{sign}{num}" if sign else num,
        value=value,
        spread=spread,
        spread_text=spread_text,
        percent=bool(m.group("pct")),
        marks=marks,
        extra=extra,
    )


_TOKEN_CACHE: dict[str, re.Pattern[str]] = {}


def find_number_token(raw: str, quoted: str) -> int:
    """Where `quoted` stands in `raw` as a whole number (not inside 145.23), or -1."""
    pattern = _TOKEN_CACHE.get(quoted)
    if pattern is None:
        pattern = re.compile(rf"(?<![\d.]){re.escape(quoted)}(?![\d])(?!\.\d)")
        if len(_TOKEN_CACHE) < 4096:
            _TOKEN_CACHE[quoted] = pattern
    m = pattern.search(raw)
    return m.start() if m else -1


__all__ = [
    "ParsedNumber",
    "SUP_CLOSE",
    "SUP_OPEN",
    "find_number_token",
    "is_missing",
    "label_text",
    "match_brace",
    "parse_number",
    "plain_label",
    "strip_superscripts",
    "to_plain",
]
