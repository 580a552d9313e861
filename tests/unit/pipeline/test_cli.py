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
