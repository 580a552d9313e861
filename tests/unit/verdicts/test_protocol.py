"""Field-by-field protocol matching."""

from __future__ import annotations

import pytest

from services.validator.protocol import ADVISORY_FIELDS, CRITICAL_FIELDS, compare_protocols, overall_match, summarize
from tests.unit.verdicts import factories as f


def outcomes(claim=None, run=None, **kwargs) -> dict[str, str]:  # type: ignore[no-untyped-def]
    fields = compare_protocols(
        claim or f.claim(), run if run is not None else f.run(), model_id=kwargs.pop("model_id", f.MODEL), **kwargs
    )
    return {fm.field: fm.outcome for fm in fields}


def test_fields_and_criticality() -> None:
    fields = compare_protocols(f.claim(), f.run(), model_id=f.MODEL)
    assert [fm.field for fm in fields] == [*CRITICAL_FIELDS, *ADVISORY_FIELDS]
    assert all(fm.critical == (fm.field in CRITICAL_FIELDS) for fm in fields)


def test_everything_stated_and_equal_is_a_match() -> None:
    fields = compare_protocols(f.claim(), f.run(), model_id=f.MODEL)
    assert overall_match(fields) == "match"
    assert all(fm.outcome == "match" for fm in fields if fm.critical)


@pytest.mark.parametrize(
    ("claim_protocol", "run_overrides", "field", "expected_field", "expected_match"),
    [
        ({"n_shot": None}, {}, "n_shot", "unknown", "unknown"),
        ({"n_shot": 0}, {}, "n_shot", "mismatch", "mismatch"),
        ({"split": None}, {}, "split", "match", "match"),  # MMLU's conventional split is test
        ({"split": None}, {"split": "validation"}, "split", "unknown", "unknown"),
        ({"split": "validation"}, {}, "split", "mismatch", "mismatch"),
        ({"formulation": "cloze"}, {}, "formulation", "mismatch", "mismatch"),
        ({"formulation": "cot"}, {}, "formulation", "mismatch", "mismatch"),
        ({"metric": "acc_norm"}, {}, "metric", "mismatch", "mismatch"),
        ({"metric": None}, {}, "metric", "unknown", "unknown"),
        ({"benchmark": "hellaswag"}, {}, "benchmark", "mismatch", "mismatch"),
        ({"benchmark": None, "benchmark_label": "SuperGLUE-X"}, {}, "benchmark", "mismatch", "mismatch"),
        ({"benchmark": None, "benchmark_label": ""}, {}, "benchmark", "unknown", "unknown"),
        ({"subset": None}, {"subset": "abstract_algebra"}, "subset", "unknown", "unknown"),
        ({"subset": "stem"}, {"subset": "humanities"}, "subset", "mismatch", "mismatch"),
        ({}, {"full_set": False, "examples": 500}, "full_set", "mismatch", "mismatch"),
        ({"harness": "lighteval"}, {}, "harness", "mismatch", "match"),  # advisory: never changes the match
        ({"harness": "lm-eval"}, {}, "harness", "match", "match"),
    ],
)
def test_field_outcomes(claim_protocol, run_overrides, field, expected_field, expected_match) -> None:  # type: ignore[no-untyped-def]
    fields = compare_protocols(f.claim(protocol=claim_protocol), f.run(**run_overrides), model_id=f.MODEL)
    assert {fm.field: fm.outcome for fm in fields}[field] == expected_field
    assert overall_match(fields) == expected_match


def test_slice_flag_on_the_measurement_is_a_mismatch_even_with_full_set_protocol() -> None:
    assert outcomes(is_slice=True)["full_set"] == "mismatch"


def test_different_model_is_a_mismatch_and_unresolved_model_unknown() -> None:
    assert outcomes(model_id="meta-llama/Llama-3.2-1B")["model"] == "mismatch"
    assert outcomes(claim=f.claim(model_id=None))["model"] == "unknown"


def test_no_run_protocol_means_unknown() -> None:
    fields = compare_protocols(f.claim(), None, model_id=f.MODEL)
    assert overall_match(fields) == "unknown"


def test_summary_names_the_fields_that_are_not_a_match() -> None:
    fields = compare_protocols(f.claim(protocol={"n_shot": None}), f.seed_run(), model_id=f.MODEL)
    text = summarize(fields, overall_match(fields))
    assert text.startswith("PROTOCOL_MATCH = mismatch")
    assert "benchmark (paper: mmlu; run: winogrande)" in text
    assert "critical unknown: n_shot (paper: not stated; run: 0)" in text
    assert "advisory unknown: harness" in text


@pytest.mark.parametrize(
    ("claim_protocol", "run_overrides", "field", "expected_field", "expected_match"),
    [
        # unstated, run at lm-eval's defaults: a match by convention (the verdicts of today stay)
        ({}, {}, "chat_template", "match", "match"),
        ({}, {}, "fewshot_as_multiturn", "match", "match"),
        ({}, {}, "system_prompt", "match", "match"),
        # unstated but the run differs from the default: unknown, so C1 cannot let `wrong` through
        ({}, {"chat_template": True, "fewshot_as_multiturn": True}, "chat_template", "unknown", "unknown"),
        ({}, {"system_prompt": "Be brief."}, "system_prompt", "unknown", "unknown"),
        ({"chat_template": True}, {"chat_template": True}, "fewshot_as_multiturn", "unknown", "unknown"),
        (
            {"chat_template": True},
            {"chat_template": True, "fewshot_as_multiturn": True},
            "fewshot_as_multiturn",
            "match",
            "match",
        ),
        # stated and equal: match; stated and different: mismatch
        (
            {"chat_template": True},
            {"chat_template": True, "fewshot_as_multiturn": True},
            "chat_template",
            "match",
            "match",
        ),
        ({"chat_template": True}, {}, "chat_template", "mismatch", "mismatch"),
        ({"chat_template": False}, {}, "chat_template", "match", "match"),
        (
            {"fewshot_as_multiturn": False},
            {"chat_template": True, "fewshot_as_multiturn": True},
            "fewshot_as_multiturn",
            "mismatch",
            "mismatch",
        ),
        (
            {"system_prompt": "You are a helpful assistant."},
            {"system_prompt": "You are a helpful assistant. "},
            "system_prompt",
            "match",
            "match",
        ),
        (
            {"system_prompt": "You are a helpful assistant."},
            {"system_prompt": "you are a helpful assistant."},
            "system_prompt",
            "mismatch",
            "mismatch",
        ),
        ({"system_prompt": "You are a helpful assistant."}, {}, "system_prompt", "mismatch", "mismatch"),
    ],
)
def test_prompt_format_fields_are_critical(
    claim_protocol, run_overrides, field, expected_field, expected_match
) -> None:  # type: ignore[no-untyped-def]
    fields = compare_protocols(f.claim(protocol=claim_protocol), f.run(**run_overrides), model_id=f.MODEL)
    found = {fm.field: fm for fm in fields}[field]
    assert found.critical and found.outcome == expected_field
    assert overall_match(fields) == expected_match


def test_an_unstated_chat_template_still_lowers_confidence_as_before() -> None:
    from services.validator.confidence import protocol_factor

    unstated = compare_protocols(f.claim(), f.run(), model_id=f.MODEL)
    stated = compare_protocols(f.claim(protocol={"chat_template": False}), f.run(), model_id=f.MODEL)
    assert "not stated" in {fm.field: fm for fm in unstated}["chat_template"].claimed
    assert protocol_factor("match", unstated) == pytest.approx(protocol_factor("match", stated) * 0.95)
