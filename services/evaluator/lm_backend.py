"""Our engine as an lm-eval model: `lm_eval.evaluator.simple_evaluate(model="paperverdict", ...)`.

lm-eval's TaskManager and evaluator build the requests, pick the few-shot examples and apply the
filters and metrics, so prompts and metrics are lm-eval's for every task in its registry; only the
model calls are ours, with HFLM's semantics (`lm_eval/models/huggingface.py`, lm-eval 0.4.x):

- `loglikelihood`: requests encoded as HFLM's `TemplateLM.loglikelihood` encodes them (the engine's
  `RequestEncoder`), the requests of one document (task, doc_id) forming one token tree, prefixes
  shared across documents found by the engine (hints: the task name), length-grouped batches;
- `loglikelihood_rolling`: HFLM's windows exactly (`get_rolling_token_windows` with the prefix token,
  the model's max length and context length 1, then `make_disjoint_window`), every window one
  request of the engine, summed per document in window order;
- `generate_until`: greedy decoding with the engine (left-padded batches, a KV cache), requests
  grouped by their generation kwargs, `until` and `max_gen_toks` normalised by lm-eval's own helpers
  (`normalize_gen_kwargs`, `handle_stop_sequences`: the EOS text is a stop sequence) and the text cut
  by `postprocess_generated_text`. Sampling is refused: a greedy backend must not silently answer it.

The model is loaded by our `ModelLoader` (safetensors only, never remote code) unless a model and
tokenizer are handed in (tests, the bench).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from lm_eval import utils as lm_utils
from lm_eval.api.instance import Instance
from lm_eval.api.model import LM
from lm_eval.api.registry import register_model
from lm_eval.models.utils import handle_stop_sequences, normalize_gen_kwargs, postprocess_generated_text

from services.evaluator.engine import Engine, engine_options
from services.evaluator.models import LoadedModel, ModelLoader
from services.evaluator.tokenization import EncodedRequest
from shared.settings import WEIGHT_DTYPES, EvaluatorSettings

DEFAULT_MAX_GEN_TOKS = 256  # HFLM.max_gen_toks
GREEDY_KWARGS = {"do_sample", "temperature", "top_p", "top_k"}  # ignored by greedy decoding, as by HF generate


class UnsupportedRequest(ValueError):
    """A request this backend cannot answer exactly as HFLM would (sampling, beam search, ...)."""


DTYPE_NAMES = {"half": "float16", "fp16": "float16", "bf16": "bfloat16", "float": "float32", "fp32": "float32"}


def weights_dtype(name: str) -> str:
    """lm-eval's `dtype` model argument as one of `PV_EVAL_DTYPE`'s values."""
    value = DTYPE_NAMES.get(name, name).removeprefix("torch.")
    if value not in WEIGHT_DTYPES:
        raise UnsupportedRequest(f"dtype {name!r} is not supported: {', '.join(WEIGHT_DTYPES)}")
    return value


@register_model("paperverdict")
class PaperverdictLM(LM):
    """lm-eval model backed by `services.evaluator.engine.Engine`.

    `pretrained` is a Hub id or a local model folder loaded through `ModelLoader`; `model` and
    `tokenizer` objects may be given instead. lm-eval's `batch_size`/`max_batch_size` are accepted and
    ignored: the engine batches by tokens (`token_budget`) and by free memory; `dtype` is HFLM's ("auto":
    the checkpoint's own on a GPU)."""

    def __init__(
        self,
        pretrained: str | None = None,
        *,
        model: Any = None,
        tokenizer: Any = None,
        revision: str | None = None,
        device: str | None = None,
        max_length: int | None = None,
        max_gen_toks: int = DEFAULT_MAX_GEN_TOKS,
        token_budget: int | None = None,
        add_bos_token: bool | None = None,
        batch_size: Any = None,
        max_batch_size: Any = None,
        dtype: str | None = None,
        settings: EvaluatorSettings | None = None,
    ) -> None:
        super().__init__()
        if add_bos_token is not None:
            raise UnsupportedRequest(
                "add_bos_token is not supported by the paperverdict backend yet: the tokenizer's own "
                "special-token behaviour (HFLM's default, add_bos_token=None) is used"
            )
        settings = settings or EvaluatorSettings(allow_local_models=True)
        if device:
            settings = settings.model_copy(update={"device": device})
        if dtype:  # HFLM's model argument: "auto" (the checkpoint's own on a GPU) or a float type
            settings = settings.model_copy(update={"dtype": weights_dtype(dtype)})
        self.loaded: LoadedModel | None = None
        if model is None:
            if pretrained is None:
                raise ValueError("give `pretrained` (a Hub id or a model folder) or a `model` and its `tokenizer`")
            self.loaded = ModelLoader(settings).load(pretrained, revision)
            model, tokenizer = self.loaded.model, self.loaded.tokenizer
        elif tokenizer is None:
            raise ValueError("a `model` object needs its `tokenizer`")
        options = engine_options(settings)
        if token_budget:
            options["token_budget"] = token_budget
        self.engine = Engine(model, tokenizer, max_length=max_length, **options)
        self.tokenizer = tokenizer
        self._max_gen_toks = int(max_gen_toks)

    # ------------------------------------------------------------ what lm-eval asks of a model

    @property
    def max_length(self) -> int:
        return self.engine.max_length

    @property
    def max_gen_toks(self) -> int:
        return self._max_gen_toks

    @property
    def eot_token_id(self) -> int:
        return int(self.tokenizer.eos_token_id)

    @property
    def prefix_token_id(self) -> int:
        return self.engine.encoder.prefix_token_id

    @property
    def tokenizer_name(self) -> str:
        return str(getattr(self.tokenizer, "name_or_path", "")).replace("/", "__")

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        if chat_template is False or chat_template is None:
            return None
        template = getattr(self.tokenizer, "chat_template", None)
        if isinstance(template, dict):
            name = chat_template if isinstance(chat_template, str) else "default"
            return template.get(name)
        return template

    def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        return str(
            self.tokenizer.apply_chat_template(
                chat_history, tokenize=False, add_generation_prompt=add_generation_prompt
            )
        )

    # ------------------------------------------------------------ requests

    def loglikelihood(self, requests: list[Instance], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        pairs = [(str(req.args[0]), str(req.args[1])) for req in requests]
        documents = [_document(req, i) for i, req in enumerate(requests)]
        hints: list[str | None] = [req.task_name for req in requests]
        results = self.engine.loglikelihood(pairs, documents=documents, prefix_groups=hints)
        for pair, result in zip(pairs, results):
            self.cache_hook.add_partial("loglikelihood", pair, result)
        return results

    def rolling_windows(self, text: str) -> list[EncodedRequest]:
        """HFLM's windows for one text: `tok_encode(text)` (the tokenizer's special tokens, none added
        to a text that starts with the BOS text), then lm-eval's rolling and disjoint windows."""
        tokens = self.engine.encoder.encode_many([text])[0]
        windows = lm_utils.get_rolling_token_windows(
            token_list=tokens, prefix_token=self.prefix_token_id, max_seq_len=self.max_length, context_len=1
        )
        return [EncodedRequest(tuple(c), tuple(k)) for c, k in map(lm_utils.make_disjoint_window, windows)]

    def loglikelihood_rolling(self, requests: list[Instance], disable_tqdm: bool = False) -> list[float]:
        windows: list[EncodedRequest] = []
        owners: list[int] = []
        for index, req in enumerate(requests):
            for window in self.rolling_windows(str(req.args[0])):
                windows.append(window)
                owners.append(index)
        scored = self.engine.loglikelihood_tokens(windows, documents=list(range(len(windows))))
        totals = [0.0] * len(requests)
        for owner, (ll, _) in zip(owners, scored):  # window order, as HFLM sums them
            totals[owner] += ll
        for req, total in zip(requests, totals):
            self.cache_hook.add_partial("loglikelihood_rolling", (req.args[0],), total)
        return totals

    def generate_until(self, requests: list[Instance], disable_tqdm: bool = False) -> list[str]:
        groups: dict[str, list[int]] = defaultdict(list)  # HFLM batches only requests with equal kwargs
        for index, req in enumerate(requests):
            groups[json.dumps(req.args[1], sort_keys=True, default=str)].append(index)
        eos = self.tokenizer.decode(self.eot_token_id, skip_special_tokens=False)
        results = [""] * len(requests)
        for members in groups.values():
            until, max_gen_toks = self._greedy_kwargs(requests[members[0]].args[1], eos)
            contexts = [str(requests[i].args[0]) for i in members]
            texts = self.engine.generate_until(contexts, until, max_gen_toks)
            for index, text in zip(members, texts):
                results[index] = postprocess_generated_text(text, until, None)
                self.cache_hook.add_partial("generate_until", requests[index].args, results[index])
        return results

    def _greedy_kwargs(self, gen_kwargs: Any, eos: str) -> tuple[list[str], int]:
        if not isinstance(gen_kwargs, dict):
            raise UnsupportedRequest(f"generation kwargs must be a dict, got {type(gen_kwargs).__name__}")
        kwargs = normalize_gen_kwargs(gen_kwargs, self.max_gen_toks)
        until = handle_stop_sequences(kwargs.pop("until", None), eos=eos)
        max_gen_toks = int(kwargs.pop("max_gen_toks"))
        if kwargs.get("do_sample"):
            raise UnsupportedRequest(f"sampling ({gen_kwargs}) is not supported: this backend decodes greedily")
        unknown = sorted(set(kwargs) - GREEDY_KWARGS)
        if unknown:
            raise UnsupportedRequest(f"generation kwargs {unknown} are not supported (greedy decoding only)")
        if max_gen_toks >= self.max_length:
            raise UnsupportedRequest(
                f"max_gen_toks {max_gen_toks} leaves no room for a prompt in the model's {self.max_length} tokens"
            )
        return until, max_gen_toks


def _document(req: Instance, index: int) -> tuple[str, Any]:
    """Which requests form one token tree: those of one document of one task (a request without a
    doc_id is a document of its own)."""
    if req.doc_id is None:
        return ("", index)
    return (req.task_name or "", req.doc_id)
