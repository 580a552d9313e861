"""The `paperverdict` command line's argument handling (no Kafka needed)."""

from __future__ import annotations

from typer.testing import CliRunner

from services.cli.main import app

runner = CliRunner()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("publish", "watch", "show", "extract", "eval", "validate"):
        assert command in result.output
    eval_help = runner.invoke(app, ["eval", "--help"])
    assert "loglikelihood" in eval_help.output and "task" in eval_help.output


def test_publish_refuses_a_malformed_id_before_touching_kafka() -> None:
    result = runner.invoke(app, ["publish", "2502.0273"])
    assert result.exit_code == 2
    assert "'2502.0273' is malformed" in result.output


def test_show_refuses_a_malformed_id() -> None:
    result = runner.invoke(app, ["show", "not-an-id"])
    assert result.exit_code == 2 and "is malformed" in result.output


def test_validate_prints_the_post_verdict_offline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from tests.unit.verdicts import factories as f

    claim_path, measurement_path = tmp_path / "claim.json", tmp_path / "measurement.json"
    claim_path.write_text(f.claim().model_dump_json())
    # The seed's case: MMLU 5-shot claimed, WinoGrande 0-shot measured on a slice -> never `wrong`.
    measurement_path.write_text(f.measurement(0.6345, protocol=f.seed_run(), task="winogrande").model_dump_json())
    result = runner.invoke(app, ["validate", "--claim", str(claim_path), "--measurement", str(measurement_path)])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert verdict["kind"] == "POST" and verdict["protocol_match"] == "mismatch"
    assert verdict["status"] == "inconclusive"
