"""shared/architectures.py: the one rule for models only their repository's code could run."""

from __future__ import annotations

import pytest

from shared.architectures import remote_code_reason

REMOTE = {"AutoConfig": "configuration_x.XConfig", "AutoModelForCausalLM": "modeling_x.XForCausalLM"}


@pytest.mark.parametrize(
    ("config", "tokenizer", "expected"),
    [
        ({"model_type": "llama"}, None, None),
        ({"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}, {}, None),
        ({"model_type": "mpt", "auto_map": REMOTE}, None, None),  # MPT ships both: transformers' own class
        ({"model_type": "phi3", "auto_map": REMOTE}, None, None),  # Phi-3 likewise
        ({"model_type": "qwen", "auto_map": REMOTE}, None, "model type 'qwen', which transformers does not"),
        ({"model_type": "baichuan", "auto_map": REMOTE}, None, "model type 'baichuan'"),
        ({"auto_map": REMOTE}, None, "model type None"),
        ({"model_type": ["llama"], "auto_map": REMOTE}, None, "model type ['llama']"),
        ({"model_type": "evil_arch"}, None, None),  # no auto_map: nothing to run; from_pretrained says no later
        ({"model_type": "llama"}, {"tokenizer_class": "LlamaTokenizerFast", "auto_map": {}}, None),
        ({"model_type": "llama"}, {"tokenizer_class": "QWenTokenizer", "auto_map": {}}, "tokenizer 'QWenTokenizer'"),
        ({"model_type": "llama"}, {"tokenizer_class": "os.system", "auto_map": {}}, "tokenizer 'os.system'"),
        ({"model_type": "llama"}, {"tokenizer_class": "QWenTokenizer"}, None),  # named, but no code to run
    ],
)
def test_remote_code_reason(config: dict, tokenizer: dict | None, expected: str | None) -> None:
    reason = remote_code_reason(config, tokenizer)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and expected in reason and reason.endswith("(remote code is never run)")
