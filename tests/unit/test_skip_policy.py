"""The skip policy (tests/skip_policy.py): a skip off the allow-list fails the run, one on it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.skip_policy import ALLOWED_SKIPS, load_allowed

pytest_plugins = ["pytester"]

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
SKIPPING = """
import pytest

def test_runs():
    assert True

def test_needs_something():
    pytest.skip("something is not installed")
"""


def test_a_skip_off_the_list_fails_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_sample=SKIPPING)
    result = pytester.runpytest("-p", "tests.skip_policy")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*skips not on the allow-list*", "SKIPPED test_sample.py::test_needs_something: *"])


MODULE_SKIP = """
import pytest

pytest.skip("a module that is not installed", allow_module_level=True)

def test_never_runs():
    assert True
"""


@pytest.mark.parametrize("source", [SKIPPING, MODULE_SKIP], ids=["test", "module"])
def test_a_skip_off_the_list_fails_a_parallel_run_too(pytester: pytest.Pytester, source: str) -> None:
    """`make test` runs pytest-xdist workers, whose own session status is lost: the skip must reach the
    controller's policy, whether a test or a whole module skipped."""
    pytester.makeini(INI)
    root = ALLOWED_SKIPS.parent.parent  # xdist's workers get the sys.path pytest started with: no `tests`
    pytester.makeconftest(f"import sys\nsys.path.insert(0, {str(root)!r})\npytest_plugins = ['tests.skip_policy']\n")
    pytester.makepyfile(test_sample=source, test_other="def test_runs():\n    assert True\n")
    result = pytester.runpytest("-n", "2")
    assert result.ret not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), result.stdout.str()
    result.stdout.fnmatch_lines(["*skips not on the allow-list*", "SKIPPED test_sample.py*not installed*"])


def test_a_run_without_skips_passes(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_sample="def test_runs():\n    assert True\n")
    assert pytester.runpytest("-p", "tests.skip_policy").ret == pytest.ExitCode.OK


def test_every_allowed_skip_has_a_reason_and_names_a_test(tmp_path: Path) -> None:
    root = ALLOWED_SKIPS.parent.parent
    for pattern, reason in load_allowed().items():
        assert len(reason) > 20, pattern
        assert (root / pattern.split("::")[0]).is_file(), pattern
    bare = tmp_path / "allowed.txt"
    bare.write_text("tests/unit/test_x.py::test_y\n")
    with pytest.raises(pytest.UsageError, match="reason"):
        load_allowed(bare)
