"""Comment masking, \\input flattening with offsets back into files, macros."""

from __future__ import annotations

from services.extractor.latex import (
    collect_macros,
    expand_macros,
    find_main,
    flatten,
    mask_comments,
    match_brace,
)


def test_comments_become_spaces_of_the_same_length_but_escaped_percent_stays() -> None:
    text = "a & 45.2\\% % old value 44.1\nb\n"
    masked = mask_comments(text)
    assert len(masked) == len(text)
    assert "44.1" not in masked
    assert "45.2\\%" in masked
    assert masked.endswith("\nb\n")


def test_comment_environment_and_iffalse_blocks_are_masked() -> None:
    text = "x\\begin{comment}\\begin{table}T\\end{table}\\end{comment}y\\iffalse 99.9 \\fi z"
    masked = mask_comments(text)
    assert len(masked) == len(text) and "table" not in masked and "99.9" not in masked
    assert masked.startswith("x") and "y" in masked and masked.endswith("z")


def test_flatten_splices_inputs_and_locates_spans_in_their_own_file() -> None:
    files = {
        "main.tex": "\\documentclass{article}\\begin{document}\n\\input{sec/a}\nEND\\include{b}\\end{document}",
        "sec/a.tex": "% comment\nA-TEXT 12.5 here",
        "b.tex": "B-TEXT",
    }
    doc = flatten(files, "main.tex")
    assert "A-TEXT 12.5" in doc.text and "B-TEXT" in doc.text and "\\input" not in doc.text
    start = doc.text.index("12.5")
    path, s, e = doc.locate(start, start + 4)
    assert path == "sec/a.tex" and files[path][s:e] == "12.5"
    start = doc.text.index("END")
    path, s, e = doc.locate(start, start + 3)
    assert path == "main.tex" and files[path][s:e] == "END"


def test_flatten_survives_input_cycles_and_missing_files() -> None:
    files = {"main.tex": "\\documentclass{x}\\input{a}\\input{missing}", "a.tex": "A\\input{main}"}
    doc = flatten(files, "main.tex")
    assert doc.text.count("A") == 1


def test_find_main_prefers_the_file_with_documentclass_and_document() -> None:
    files = {
        "appendix.tex": "\\section{A}",
        "paper.tex": "\\documentclass{article}\\begin{document}\\end{document}",
        "old.tex": "% \\documentclass{article}",
    }
    assert find_main(files) == "paper.tex"
    assert find_main({"only.tex": "no class"}) == "only.tex"
    assert find_main({"a.tex": "x", "b.tex": "y"}) is None


def test_match_brace_handles_nesting_escapes_and_unbalanced_input() -> None:
    text = "{a{b}\\}c}d"
    assert match_brace(text, 0) == len(text) - 1
    assert match_brace("{never closed", 0) == -1


def test_macros_with_arguments_defaults_and_def() -> None:
    macros = collect_macros(
        "\\newcommand{\\ours}{SmolLM2}\\newcommand\\best[1]{\\textbf{#1}}"
        "\\newcommand{\\pair}[2][x]{#1-#2}\\def\\model{OurModel-7B}\\renewcommand*{\\ours}{SmolLM3}"
    )
    assert macros["ours"].body == "SmolLM3"
    assert expand_macros("\\best{45.2}", macros) == "{\\textbf{45.2}}"
    assert expand_macros("\\pair{y}", macros) == "{x-y}"
    assert expand_macros("\\pair[z]{y}", macros) == "{z-y}"
    assert expand_macros("\\model{} rocks", macros) == "{OurModel-7B}{} rocks"


def test_recursive_macros_are_bounded() -> None:
    macros = collect_macros("\\newcommand{\\a}{\\a\\a}")
    out = expand_macros("\\a", macros)
    assert len(out) < 50_000
