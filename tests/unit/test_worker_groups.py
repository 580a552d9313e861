"""How `make test` splits the suite between its two pytest-xdist workers (tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, worker_group

pytest_plugins = ["pytester"]


def test_every_test_of_the_shared_servers_is_in_one_group() -> None:
    for path in [*ROOT.glob("tests/e2e/test_*.py"), *ROOT.glob("tests/integration/**/test_*.py")]:
        assert worker_group(f"{path.relative_to(ROOT)}::test_x[a/b::c]") == "servers", path


def test_every_other_module_is_a_group_of_its_own() -> None:
    assert worker_group("tests/unit/extractor/test_claims.py::test_x[1]") == "tests/unit/extractor/test_claims.py"
    assert worker_group("tests/unit/test_compose.py::Test::test_y") == "tests/unit/test_compose.py"


def test_a_parallel_run_keeps_each_group_on_one_worker(pytester: pytest.Pytester) -> None:
    """The scheduler hook itself, in a run of two workers: one group's tests all report the same worker."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom tests.conftest import pytest_xdist_make_scheduler\n"
    )
    suite = pytester.mkdir("tests")
    for tier, names in (("e2e", ("test_a.py", "test_b.py")), ("unit", ("test_c.py", "test_d.py"))):
        folder = suite / tier
        folder.mkdir()
        for name in names:
            (folder / name).write_text("".join(f"def test_{i}():\n    pass\n" for i in range(6)))
    result = pytester.runpytest("-n", "2", "-v", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    workers: dict[str, set[str]] = {}
    for line in result.stdout.lines:
        if "PASSED" in line and line.startswith("[gw"):
            path = line.split("PASSED ")[1].split("::")[0]
            workers.setdefault(path, set()).add(line.split("]")[0])
    assert len(workers) == 4 and all(len(found) == 1 for found in workers.values()), workers
    assert workers["tests/e2e/test_a.py"] == workers["tests/e2e/test_b.py"]
