"""No silent skip: a run fails when a test skipped, unless tests/allowed_skips.txt lists it with a reason.

A skipped test is a check that did not happen. When lm-eval is broken, chromium is missing or a fixture
is absent, the run must say so by failing, not by printing an `s` among the dots. The few skips that are
legitimate (e.g. the check against ../shared/seed, which only the design's checkout has beside it) are
listed in the allow-list file, one a line: a node id or an fnmatch pattern, ` -- `, the reason.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

ALLOWED_SKIPS = Path(__file__).with_name("allowed_skips.txt")


def load_allowed(path: Path = ALLOWED_SKIPS) -> dict[str, str]:
    """pattern -> reason, from the allow-list file; an entry without a reason is refused."""
    allowed: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern, separator, reason = line.partition(" -- ")
        if not separator or not pattern.strip() or not reason.strip():
            raise pytest.UsageError(f"{path}:{number}: an allowed skip is 'NODE_ID_OR_PATTERN -- reason', got {line!r}")
        allowed[pattern.strip()] = reason.strip()
    return allowed


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


class SkipPolicy:
    def __init__(self, allowed: dict[str, str]) -> None:
        self.allowed = allowed
        self.refused: list[tuple[str, str]] = []

    def permitted(self, nodeid: str) -> bool:
        return any(fnmatch.fnmatchcase(nodeid, pattern) for pattern in self.allowed)

    def _check(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail") and not self.permitted(report.nodeid):
            self.refused.append((report.nodeid, _reason(report)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._check(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._check(report)  # a module that skips itself (pytest.skip(allow_module_level=True))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.refused and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:  # type: ignore[no-untyped-def]
        if not self.refused:
            return
        terminalreporter.section("skips not on the allow-list (the run fails)", sep="=", red=True, bold=True)
        for nodeid, reason in self.refused:
            terminalreporter.line(f"SKIPPED {nodeid}: {reason}", red=True)
        terminalreporter.line(f"Fix the cause, or list the test in {ALLOWED_SKIPS.name} with its reason.")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(SkipPolicy(load_allowed()), "paperverdict-skip-policy")
