"""Whether a model runs with transformers' own code, or only with the code its repository ships.

Remote code is never run. The evaluator refuses such a model when it vets the downloaded config
(services/evaluator/vetting.py); the extractor's Hub lookup rejects such a candidate before a claim
names it, and `paperverdict models refresh` reports such repos of the bundled index. One rule for all
three: a config that names remote code (`auto_map`) for a model type transformers implements itself
(MPT's and Phi-3's repositories ship both) loads with transformers' own class, exactly as
`from_pretrained` does without `trust_remote_code`; a model type or tokenizer class that exists only
as the repository's code does not.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

# transformers' lazy top-level module is not safe to import from several threads at once (the model
# lookups of `paperverdict models refresh` run in a thread pool: "cannot import name ... from
# transformers"); one thread at a time reads it here
_TRANSFORMERS = threading.Lock()


def remote_code_reason(config: Mapping[str, Any], tokenizer_config: Mapping[str, Any] | None = None) -> str | None:
    """Why this model would need its repository's code; None when transformers implements it."""
    model_type = config.get("model_type")
    if "auto_map" in config and (not isinstance(model_type, str) or not _known_model_type(model_type)):
        return (
            f"config.json names remote code (auto_map) for model type {model_type!r}, which transformers "
            "does not implement: refused (remote code is never run)"
        )
    tokenizer = tokenizer_config or {}
    tokenizer_class = tokenizer.get("tokenizer_class")
    if "auto_map" in tokenizer and not known_tokenizer(tokenizer_class):
        return (
            f"tokenizer_config.json names remote code (auto_map) for tokenizer {tokenizer_class!r}, which "
            "transformers does not implement: refused (remote code is never run)"
        )
    return None


def _known_model_type(model_type: str) -> bool:
    with _TRANSFORMERS:
        from transformers.models.auto.configuration_auto import CONFIG_MAPPING

        return model_type in CONFIG_MAPPING


def known_tokenizer(name: object) -> bool:
    """A tokenizer class transformers has (its slow or fast form)."""
    if not isinstance(name, str) or not name.isidentifier():
        return False
    with _TRANSFORMERS:
        import transformers

        return hasattr(transformers, name) or hasattr(transformers, name.removesuffix("Fast"))
