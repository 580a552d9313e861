"""Encoding requests exactly as lm-eval's HFLM does, so both score the very same token ids.

- `tok_encode`: the tokenizer's own special-token behaviour, except that a string already starting
  with the BOS text gets no second BOS;
- `_encode_pair`: trailing whitespace of the context moves to the continuation, the pair is encoded
  whole and the continuation is what follows the separately encoded context;
- an empty context is the prefix token (BOS, else EOS).

Identical strings are encoded once, in batches (the Rust tokenizer runs them in parallel).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EncodedRequest:
    context: tuple[int, ...]
    continuation: tuple[int, ...]


class RequestEncoder:
    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        bos = tokenizer.bos_token_id
        self.prefix_token_id: int = bos if bos is not None else tokenizer.eos_token_id
        self.prefix_text: str = tokenizer.decode(self.prefix_token_id)

    def encode_many(self, texts: Sequence[str], add_special_tokens: bool | None = None) -> list[list[int]]:
        unique = list(dict.fromkeys(texts))
        found: dict[str, list[int]] = {}
        for flag in (True, False):
            batch = [
                t
                for t in unique
                if (
                    add_special_tokens
                    if add_special_tokens is not None
                    else not (self.prefix_text and t.startswith(self.prefix_text))
                )
                is flag
            ]
            if not batch:
                continue
            kwargs = {} if (add_special_tokens is None and flag) else {"add_special_tokens": flag}
            for text, ids in zip(batch, self.tokenizer(batch, **kwargs)["input_ids"]):
                found[text] = list(ids)
        return [found[t] for t in texts]

    def encode(self, requests: Sequence[tuple[str, str]]) -> list[EncodedRequest]:
        pairs: list[tuple[str, str]] = []
        for context, continuation in requests:
            n_spaces = len(context) - len(context.rstrip())
            if context and n_spaces:
                continuation = context[-n_spaces:] + continuation
                context = context[:-n_spaces]
            pairs.append((context, continuation))
        full = [(c, k) for c, k in pairs if c]
        contexts = iter(self.encode_many([c for c, _ in full]))
        wholes = iter(self.encode_many([c + k for c, k in full]))
        bare = iter(self.encode_many([k for c, k in pairs if not c], add_special_tokens=False))
        out: list[EncodedRequest] = []
        for context, _ in pairs:
            if context:
                ctx, whole = next(contexts), next(wholes)
                out.append(EncodedRequest(tuple(ctx), tuple(whole[len(ctx) :])))
                continue
            cont = next(bare)
            if cont and cont[0] == self.prefix_token_id:
                out.append(EncodedRequest(tuple(cont[:1]), tuple(cont[1:])))
            else:
                out.append(EncodedRequest((self.prefix_token_id,), tuple(cont)))
        return out
