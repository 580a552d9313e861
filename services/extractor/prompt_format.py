"""What a paper says about the prompt format of its evaluations (pure): whether prompts went through the
model's chat template, and whether few-shot examples were separate conversation turns (lm-eval's
`apply_chat_template` and `fewshot_as_multiturn`, protocol fields that gate C1 treats as critical).

Two sources, both with the source span as evidence:
- evaluation-setup tables with a "Chat" and a "Multiturn ICL" column, a check mark or a cross per
  benchmark (OLMo 2's instruct regime: "GSM8K | ✓ | 8 | ✓ | ✓ | EM");
- a sentence that says the models' own chat template was used ("For all models, we use the provided
  chat template for prompt formatting when available", OLMo). A sentence saying templates were off is
  not read: that is lm-eval's default anyway, and such sentences are usually about one suite ("we
  disable chat templates within HELMET"), not about every claim.

A template the paper writes itself ("a simple chat template (Question: ... Answer:)") is not the model's:
a positive sentence must say the template is the model's own (provided, native, its, their, ...), and
a positive statement applies to instruction-tuned models only. Multi-turn few-shot is read from tables
only: sentences define the term more often than they state its use.
"""

from __future__ import annotations

import re

from shared.models import ProtocolStatement

Scoped = tuple[ProtocolStatement, str | None]  # a statement and whether it speaks of "instruct"/"base" models

CHAT_HEAD = re.compile(r"chat(?:\s+template|\s+format)?", re.I)  # a column header, whole
TURNS_HEAD = re.compile(r"multi-?\s*turn(?:\s+(?:icl|few-?shot|examples?|demonstrations?))?", re.I)
_YES = re.compile(r"\\(?:cmark|checkmark|ding\s*\{\s*5[12]\s*\})|[✓✔]|^\s*yes\s*$", re.I)
_NO = re.compile(r"\\(?:xmark|ding\s*\{\s*5[56]\s*\})|[✗✘]|^\s*no\s*$", re.I)
_CHAT = re.compile(r"\bchat[\s\-]*(?:templates?|formats?|formatting)\b", re.I)
_NOT_CHAT = re.compile(
    r"\b(?:without|disabl\w*|no|not|never)\b(?:\W+\w+){0,4}?\W+chat[\s\-]*(?:templates?|formats?)\b", re.I
)
_OWN = re.compile(  # the model's own template, named right before "chat template"
    r"\b(?:provided|own|native|official|default|respective|built-in|tokenizer's|model's|models'|their|its)"
    r"(?:\W+\w+){0,2}?\W+chat[\s\-]*(?:templates?|formats?)\b",
    re.I,
)


def mark(*texts: str) -> str | None:
    """ "true" for a check mark (or "yes"), "false" for a cross (or "no"), in the first of `texts` (raw
    LaTeX, macro-expanded, printed) that has exactly one of them; None for "N/A" and anything else."""
    for text in texts:
        yes, no = _YES.search(text), _NO.search(text)
        if yes and not no:
            return "true"
        if no and not yes:
            return "false"
    return None


def chat_sentence(plain: str) -> str | None:
    """ "true" when a sentence says prompts went through the models' own chat template, else None."""
    if not _CHAT.search(plain) or _NOT_CHAT.search(plain):
        return None
    return "true" if _OWN.search(plain) else None


def pick(found: list[Scoped], instruct: bool) -> ProtocolStatement | None:
    """The statement for a claim on an instruct (or base) model: one about that kind of model, else an
    unscoped one; None when they disagree."""
    scope = "instruct" if instruct else "base"
    chosen = [st for st, sc in found if sc == scope] or [st for st, sc in found if sc is None]
    return chosen[0] if chosen and len({st.value for st in chosen}) == 1 else None


def chat_for(table: list[Scoped], sentences: list[Scoped], instruct: bool) -> ProtocolStatement | None:
    """The benchmark's setup-table value first; else the paper's sentences, for an instruction-tuned
    model only (a base model has no chat template of its own to apply)."""
    stated = pick(table, instruct)
    if stated is not None:
        return stated
    return pick(sentences, instruct) if instruct else None
