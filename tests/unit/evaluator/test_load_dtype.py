"""The weights' dtype (`models.load_dtype`, `PV_EVAL_DTYPE`): on a GPU the checkpoint's own by default, as
lm-eval's HFLM loads (`dtype="auto"`), so a float16 checkpoint is not measured in bfloat16's coarser
rounding; float32 on the CPU; a named dtype everywhere. The measured dtype is part of the stored protocol."""

from __future__ import annotations

import pytest
from transformers import Gemma3Config, LlamaConfig

from services.evaluator.models import ModelLoader, load_dtype
from shared.settings import EvaluatorSettings

from .conftest import TINY


@pytest.mark.parametrize(
    ("setting", "device", "config_dtype", "expected"),
    [
        ("auto", "cuda", "float16", "float16"),  # Llama 2, Pythia, OPT checkpoints
        ("auto", "cuda:1", "bfloat16", "bfloat16"),
        ("auto", "cuda", "float32", "float32"),
        ("auto", "cuda", None, "bfloat16"),  # a config that names none
        ("auto", "cuda", "int8", "bfloat16"),  # not a float type to load in
        ("auto", "cpu", "bfloat16", "float32"),
        ("bfloat16", "cuda", "float16", "bfloat16"),
        ("float16", "cpu", None, "float16"),
    ],
)
def test_load_dtype(setting, device, config_dtype, expected):
    config = LlamaConfig.from_dict({"torch_dtype": config_dtype} if config_dtype else {})
    assert load_dtype(setting, device, config) == expected


def test_an_image_text_config_is_read_from_its_text_part():
    config = Gemma3Config(text_config={"dtype": "float16"})
    config.dtype = None
    assert load_dtype("auto", "cuda", config) == "float16"


def test_a_named_dtype_is_what_the_loader_loads_and_records():
    loaded = ModelLoader(EvaluatorSettings(device="cpu", dtype="bfloat16")).load(TINY)
    assert loaded.dtype == "bfloat16" and next(loaded.model.parameters()).dtype.is_floating_point
    assert str(next(loaded.model.parameters()).dtype) == "torch.bfloat16"


def test_the_setting_refuses_other_values():
    with pytest.raises(ValueError):
        EvaluatorSettings(dtype="int4")


def test_lm_evals_dtype_model_argument():
    """`lm_eval --model paperverdict --model_args pretrained=...,dtype=bf16`: HFLM's argument, its aliases."""
    from lm_eval.api.registry import get_model

    from services.evaluator.lm_backend import UnsupportedRequest, weights_dtype

    lm = get_model("paperverdict").create_from_arg_string(f"pretrained={TINY},dtype=bf16,device=cpu")
    assert lm.loaded.dtype == "bfloat16"
    assert [weights_dtype(n) for n in ("auto", "half", "torch.float32", "bfloat16")] == [
        "auto",
        "float16",
        "float32",
        "bfloat16",
    ]
    with pytest.raises(UnsupportedRequest, match="int8"):
        weights_dtype("int8")


def test_the_cache_key_uses_the_dtype_the_load_will_use():
    """The measurement-cache key is computed before the model is loaded; it must carry the dtype the load
    then uses. It used the device's old default (float32 on the CPU, bfloat16 on a GPU): with a named
    dtype, or a float16 checkpoint on a GPU, the key never matched the stored measurement, so a repeated
    claim was measured again instead of answered from the cache."""
    from services.evaluator.runner import EvaluationRunner

    from .conftest import DATA
    from .test_runner import claim, plan

    settings = EvaluatorSettings(device="cpu", dtype="bfloat16", data_dir=DATA)
    runner = EvaluationRunner(settings, ModelLoader(settings))
    c = claim(benchmark="arc_easy")
    protocol = plan(runner, c, max_examples=8)
    measurement, _ = runner.measure(c, protocol)
    assert measurement.failure is None and measurement.protocol.dtype == "bfloat16"
    assert runner.measurement_key(c, protocol) == measurement.measurement_id


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"torch_dtype": "float16"}, "float16"),  # as checkpoints saved before transformers 5 name it
        ({"dtype": "float32"}, "float32"),
        ({"torch_dtype": "bfloat16", "text_config": {"dtype": "float16"}}, "float16"),  # image-text: its text part
        ({}, "bfloat16"),
    ],
)
def test_a_gpu_cache_key_reads_the_checkpoints_dtype_from_config_json(config, expected, tmp_path):
    """On a GPU (none needed here: nothing is loaded) the key's dtype is the one the loader would pick from
    the same config.json, read as plain JSON before anything is vetted."""
    import json
    import shutil

    from .test_model_loader_hostile import SNAPSHOT

    folder = tmp_path / "model"
    shutil.copytree(SNAPSHOT, folder)
    base = {k: v for k, v in json.loads((folder / "config.json").read_text()).items() if "dtype" not in k}
    (folder / "config.json").write_text(json.dumps({**base, **config}))
    loader = ModelLoader(EvaluatorSettings(device="cpu", allow_local_models=True))
    loader.device = "cuda"
    assert loader.pinned(str(folder))[1] == expected
