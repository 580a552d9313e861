"""LaTeX source handling that keeps character offsets: comment masking, `\\input`/`\\include`
resolution into one flat text that maps back to (file, offset), brace matching and simple macros.

Comments are replaced by spaces rather than removed, so an offset in the masked text is an offset in
the file; a commented-out table is invisible to the parser but the evidence still points into the
file exactly as arXiv served it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from posixpath import dirname, join, normpath

MAX_INPUT_DEPTH = 16
MAX_INPUT_VISITS = 2_000
MAX_FLAT_CHARS = 20_000_000
MAX_EXPANSION_CHARS = 20_000
MAX_EXPANSIONS = 500


class SourceError(ValueError):
    """The LaTeX project has no usable main file or is too large to flatten."""


# ---------------------------------------------------------------- comments


_BLOCK_START = re.compile(r"\\begin\s*\{comment\}|\\iffalse(?![A-Za-z@])")
_BLOCK_END = {"comment": re.compile(r"\\end\s*\{comment\}"), "iffalse": re.compile(r"\\fi(?![A-Za-z@])")}
_PERCENT_LINE = re.compile(r"(?<!\\)((?:\\\\)*)%[^\n]*")


def mask_comments(text: str) -> str:
    """`%` comments, `comment` environments and `\\iffalse ... \\fi` blocks become spaces (same length).

    Linear in the text: each block is closed by the first end marker after it, and a block that never
    closes masks the rest of the file (as TeX would skip it), so unclosed blocks cannot cost n² scans."""
    masked = _PERCENT_LINE.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text)
    pieces: list[str] = []
    pos = 0
    while True:
        m = _BLOCK_START.search(masked, pos)
        if not m:
            break
        kind = "comment" if m.group(0).startswith("\\begin") else "iffalse"
        end = _BLOCK_END[kind].search(masked, m.end())
        stop = end.end() if end else len(masked)
        pieces.append(masked[pos : m.start()])
        pieces.append(_blank(masked[m.start() : stop]))
        pos = stop
    pieces.append(masked[pos:])
    return "".join(pieces)


def _blank(s: str) -> str:
    return re.sub(r"[^\n]", " ", s)


# ---------------------------------------------------------------- linear-time indexes of a long text


class _Index:
    """Matching braces and environments of one long text, found in one pass each (so that callers that
    ask for many unclosed groups or environments do not rescan the rest of the text every time)."""

    def __init__(self, text: str) -> None:
        self.braces: dict[int, int] = {}
        stack: list[int] = []
        for m in _BRACE_EVENTS.finditer(text):
            c = m.group(0)
            if c == "{":
                stack.append(m.start())
            elif c == "}" and stack:
                self.braces[stack.pop()] = m.end()
        self.envs: dict[int, tuple[int, int]] = {}  # end of \\begin{x} -> (start, end) of its \\end{x}
        open_envs: dict[str, list[int]] = {}
        for m in _BEGIN_END.finditer(text):
            name = m.group(2).strip()
            if m.group(1) == "begin":
                open_envs.setdefault(name, []).append(m.end())
            elif open_envs.get(name):
                self.envs[open_envs[name].pop()] = (m.start(), m.end())


_BRACE_EVENTS = re.compile(r"\\.|[{}]", re.S)
_INDEXED = 20_000  # texts shorter than this are scanned directly
_index_cache: list[tuple[str, _Index]] = []


def _index(text: str) -> _Index | None:
    if len(text) < _INDEXED:
        return None
    for cached, index in _index_cache:
        if cached is text:
            return index
    index = _Index(text)
    _index_cache[:] = [(text, index), *_index_cache[:1]]
    return index


# ---------------------------------------------------------------- braces and arguments


MAX_OPTIONAL = 1_000  # an optional `[...]` argument longer than this is not one (an unclosed `\\caption[`)


def match_brace(text: str, pos: int, limit: int | None = None) -> int:
    """Index just after the group opened at `text[pos] == '{'` (or `[`), or -1 when unbalanced."""
    opener = text[pos]
    closer = "}" if opener == "{" else "]"
    if opener == "{" and (index := _index(text)) is not None:
        end = index.braces.get(pos, -1)
        return end if limit is None or end <= limit else -1
    if opener == "[":
        limit = min(limit if limit is not None else len(text), pos + MAX_OPTIONAL)
    depth = 0
    i, n = pos, len(text) if limit is None else min(limit, len(text))
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if opener == "[" and c == "{":  # braces protect brackets inside an optional argument
            inner = match_brace(text, i, n)
            if inner < 0:
                return -1
            i = inner
            continue
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def skip_space(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    return pos


def read_group(text: str, pos: int) -> tuple[str, int, int] | None:
    """A mandatory argument at `pos`: `{...}` or one token; returns (content, content_start, end)."""
    pos = skip_space(text, pos)
    if pos >= len(text):
        return None
    if text[pos] == "{":
        end = match_brace(text, pos)
        if end < 0:
            return None
        return text[pos + 1 : end - 1], pos + 1, end
    if text[pos] == "\\":
        m = re.compile(r"\\([A-Za-z@]+|.)").match(text, pos)
        if m:
            return m.group(0), pos, m.end()
    if text[pos] in "}]&":
        return None
    return text[pos], pos, pos + 1


def read_optional(text: str, pos: int) -> tuple[str, int] | None:
    """An optional `[...]` argument at `pos` (after spaces): (content, end) or None."""
    p = skip_space(text, pos)
    if p < len(text) and text[p] == "[":
        end = match_brace(text, p)
        if end > 0:
            return text[p + 1 : end - 1], end
    return None


def skip_optionals(text: str, pos: int, parens: bool = False) -> int:
    """Skip `[...]` (and `(...)` for `\\cmidrule(lr)`) arguments."""
    while True:
        p = skip_space(text, pos)
        if p < len(text) and text[p] == "[":
            end = match_brace(text, p)
            if end < 0:
                return pos
            pos = end
        elif parens and p < len(text) and text[p] == "(":
            end = text.find(")", p)
            if end < 0 or end - p > 40:
                return pos
            pos = end + 1
        else:
            return pos


_BEGIN_END = re.compile(r"\\(begin|end)\s*\{([^{}]{1,40})\}")


def find_environment_end(text: str, name: str, pos: int, limit: int | None = None) -> tuple[int, int]:
    """From just after `\\begin{name}`, the (start of `\\end{name}`, end of it), nesting-aware; (-1, -1)."""
    if (index := _index(text)) is not None:
        found = index.envs.get(pos)
        if (
            found is None
            or found[1] > (len(text) if limit is None else limit)
            or text[found[0] : found[1]].split("{", 1)[1].rstrip("}").strip() != name
        ):
            return -1, -1
        return found
    depth = 1
    limit = len(text) if limit is None else limit
    for m in _BEGIN_END.finditer(text, pos, limit):
        if m.group(2).strip() != name:
            continue
        depth += 1 if m.group(1) == "begin" else -1
        if depth == 0:
            return m.start(), m.end()
    return -1, -1


# ---------------------------------------------------------------- flattening


@dataclass(frozen=True)
class Segment:
    flat_start: int
    length: int
    path: str
    file_start: int


@dataclass
class Document:
    """The main file with `\\input`s spliced in (comments masked), mapping back to source files."""

    text: str
    segments: list[Segment]
    files: dict[str, str]  # the original (unmasked) texts
    main: str
    macros: dict[str, Macro] = field(default_factory=dict)

    def locate(self, start: int, end: int) -> tuple[str, int, int] | None:
        """(path, file_start, file_end) for a flat span inside one segment, else None."""
        starts = [s.flat_start for s in self.segments]
        k = bisect.bisect_right(starts, start) - 1
        if k < 0:
            return None
        seg = self.segments[k]
        if end > seg.flat_start + seg.length:
            return None
        offset = seg.file_start + (start - seg.flat_start)
        return seg.path, offset, offset + (end - start)


_INPUT = re.compile(r"\\(input|include|subfile|InputIfFileExists)\s*(\{([^{}]{1,200})\}|([^\s{}\\]{1,200}))")


def find_main(files: dict[str, str]) -> str | None:
    """The file with `\\documentclass` (and `\\begin{document}`), preferring the usual names."""
    candidates = []
    for path, text in files.items():
        if not path.lower().endswith((".tex", ".ltx", ".latex")):
            continue
        masked = mask_comments(text[:200_000]) if "\\documentclass" in text else ""
        if "\\documentclass" in masked:
            has_body = "\\begin{document}" in masked or "\\begin{document}" in mask_comments(text)
            name = path.rsplit("/", 1)[-1].lower()
            preferred = name in ("main.tex", "ms.tex", "paper.tex", "arxiv.tex")
            candidates.append((not has_body, not preferred, path.count("/"), path))
    if candidates:
        return min(candidates)[3]
    tex = sorted(p for p in files if p.lower().endswith(".tex"))
    return tex[0] if len(tex) == 1 else None


def flatten(files: dict[str, str], main: str) -> Document:
    """Splice `\\input{x}`/`\\include{x}` recursively into the masked main file."""
    pieces: list[str] = []
    segments: list[Segment] = []
    size = [0]
    masked_cache: dict[str, str] = {}
    root = dirname(main)

    def masked(path: str) -> str:
        if path not in masked_cache:
            masked_cache[path] = mask_comments(files[path])
        return masked_cache[path]

    def emit(path: str, start: int, end: int) -> None:
        if end <= start:
            return
        if size[0] + (end - start) > MAX_FLAT_CHARS:
            raise SourceError(
                f"limit: latex expansion over {MAX_FLAT_CHARS // 1_000_000} MB "
                f"(the project flattens to more than {MAX_FLAT_CHARS} characters)"
            )
        segments.append(Segment(size[0], end - start, path, start))
        pieces.append(masked(path)[start:end])
        size[0] += end - start

    visits = [0]

    def walk(path: str, stack: tuple[str, ...]) -> None:
        text = masked(path)
        pos = 0
        for m in _INPUT.finditer(text):
            target = _resolve(files, (m.group(3) or m.group(4) or "").strip(), root, dirname(path))
            if target is None or target in stack or len(stack) >= MAX_INPUT_DEPTH:
                continue
            visits[0] += 1
            if visits[0] > MAX_INPUT_VISITS:  # a fan-out: 10 files each \input the next 10 times
                raise SourceError(
                    f"limit: \\input visits over {MAX_INPUT_VISITS} (the project includes files "
                    "more often than a paper does)"
                )
            emit(path, pos, m.start())
            walk(target, (*stack, target))
            pos = m.end()
        emit(path, pos, len(text))

    walk(main, (main,))
    return Document(text="".join(pieces), segments=segments, files=files, main=main)


def _resolve(files: dict[str, str], name: str, root: str, here: str) -> str | None:
    if not name:
        return None
    for base in (root, here, ""):
        for candidate in (name, name + ".tex"):
            path = normpath(join(base, candidate)) if base else normpath(candidate)
            if path in files:
                return path
    return None


# ---------------------------------------------------------------- macros


@dataclass(frozen=True)
class Macro:
    nargs: int
    default: str | None
    body: str


_NEWCOMMAND = re.compile(r"\\(?:re)?(?:newcommand|providecommand|DeclareRobustCommand)\*?\s*")
_DEF = re.compile(r"\\[gex]?def\s*\\([A-Za-z@]+)\s*((?:#\d){0,9})\s*\{")


def collect_macros(text: str) -> dict[str, Macro]:
    """Simple `\\newcommand`/`\\renewcommand`/`\\def` definitions: name -> (nargs, default, body)."""
    macros: dict[str, Macro] = {}
    for m in _NEWCOMMAND.finditer(text):
        pos = m.end()
        if pos < len(text) and text[pos] == "{":
            end = match_brace(text, pos)
            if end < 0:
                continue
            name = text[pos + 1 : end - 1].strip()
            pos = end
        else:
            nm = re.compile(r"\\[A-Za-z@]+").match(text, pos)
            if not nm:
                continue
            name, pos = nm.group(0), nm.end()
        if not re.fullmatch(r"\\[A-Za-z@]+", name):
            continue
        nargs, default = 0, None
        opt = read_optional(text, pos)
        if opt:
            nargs = int(opt[0]) if opt[0].strip().isdigit() else 0
            pos = opt[1]
            opt2 = read_optional(text, pos)
            if opt2:
                default, pos = opt2
        body = read_group(text, pos)
        if body is None or not 0 <= nargs <= 9:
            continue
        macros[name[1:]] = Macro(nargs, default, body[0])
    for m in _DEF.finditer(text):
        end = match_brace(text, m.end() - 1)
        if end < 0:
            continue
        macros[m.group(1)] = Macro(len(m.group(2)) // 2, None, text[m.end() : end - 1])
    return macros


_CONTROL_WORD = re.compile(r"\\([A-Za-z@]+)")


def expand_macros(text: str, macros: dict[str, Macro]) -> str:
    """Expand user macros (bounded in count and size, so recursive definitions cannot explode)."""
    if not macros or "\\" not in text:
        return text
    expansions = 0
    pos = 0
    while expansions < MAX_EXPANSIONS:
        m = _CONTROL_WORD.search(text, pos)
        if not m:
            break
        macro = macros.get(m.group(1))
        if macro is None:
            pos = m.end()
            continue
        args: list[str] = []
        end = m.end()
        if macro.nargs:
            if macro.default is not None:
                opt = read_optional(text, end)
                if opt:
                    args.append(opt[0])
                    end = opt[1]
                else:
                    args.append(macro.default)
            while len(args) < macro.nargs:
                group = read_group(text, end)
                if group is None:
                    break
                args.append(group[0])
                end = group[2]
        body = macro.body
        for k, arg in enumerate(args, start=1):
            body = body.replace(f"#{k}", arg)
        if m.end() == end and end < len(text) and text[end] == " " and not body.rstrip().endswith("\\xspace"):
            end += 1  # a control word eats the space after it (\xspace at the body's end gives it back)
        text = text[: m.start()] + "{" + body + "}" + text[end:]
        expansions += 1
        if len(text) > MAX_EXPANSION_CHARS:
            break
        pos = m.start()
    return text
