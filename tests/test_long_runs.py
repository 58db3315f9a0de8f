"""Long runs: --statistics, the progress bar (terminals only, after a delay, never in CI or
piped output), --version."""

from __future__ import annotations

import io
import json
from pathlib import Path

from builders import TINY_ALIAS, tiny_row, with_aggregates, write_repo
from click.testing import CliRunner

from mlperf_repo_tools import __version__
from mlperf_repo_tools.cli import lint_command
from mlperf_repo_tools.reporting.progress import ProgressBar


def make_repo(tmp_path: Path) -> Path:
    rows = [tiny_row(Status="Available"), tiny_row(uid="2b3c4d5e6f708193", Status="Preview",
                                                   Result="fast")]
    return write_repo(tmp_path / "repo", with_aggregates({TINY_ALIAS: rows}))


def test_statistics_counts_per_rule(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    findings = json.loads(CliRunner().invoke(lint_command, [str(root), "--output-format",
                                                            "json"]).stdout)
    expected: dict[str, int] = {}
    for finding in findings:
        expected[finding["code"]] = expected.get(finding["code"], 0) + 1
    result = CliRunner().invoke(lint_command, [str(root), "--statistics"])
    assert result.exit_code == 1
    counted = {line.split()[1]: int(line.split()[0]) for line in result.stdout.splitlines()}
    assert counted == expected and counted["R015"] == 4
    first = result.stdout.splitlines()[0].split()
    assert int(first[0]) == max(expected.values())  # most first
    as_json = CliRunner().invoke(lint_command, [str(root), "--statistics", "--output-format",
                                                "json"])
    assert {e["code"]: e["count"] for e in json.loads(as_json.stdout)} == expected


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_bar_only_in_a_terminal_after_the_delay() -> None:
    clock = Clock()
    terminal = Terminal()
    bar = ProgressBar(terminal, delay=1.0, clock=clock, environ={})
    bar(1, 10)
    assert terminal.getvalue() == ""  # a short run never shows it
    clock.now = 1.5
    bar(5, 10)
    assert "5/10 result files" in terminal.getvalue() and "#" * 15 in terminal.getvalue()
    clock.now = 1.55
    bar(6, 10)
    assert "6/10" not in terminal.getvalue()  # at most ten redraws a second
    bar.finish()
    assert terminal.getvalue().endswith("\r")
    piped = io.StringIO()
    pipe_bar = ProgressBar(piped, delay=0.0, clock=clock, environ={})
    pipe_bar(5, 10)
    pipe_bar.finish()
    assert piped.getvalue() == ""


def test_progress_bar_never_in_ci() -> None:
    for environ in ({"CI": "true"}, {"GITHUB_ACTIONS": "true"}):
        terminal = Terminal()
        bar = ProgressBar(terminal, delay=0.0, clock=Clock(), environ=environ)
        bar(5, 10)
        assert terminal.getvalue() == ""


def test_no_progress_in_piped_stderr(tmp_path: Path) -> None:
    result = CliRunner().invoke(lint_command, [str(make_repo(tmp_path))])
    assert "result files" not in result.stderr and "\r" not in result.stderr


def test_version() -> None:
    result = CliRunner().invoke(lint_command, ["--version"])
    assert result.exit_code == 0 and __version__ in result.stdout


def test_linter_reports_progress_per_result_file(tmp_path: Path) -> None:
    from mlperf_repo_tools.engine import Linter, select_rules

    calls: list[tuple[int, int]] = []
    Linter(select_rules(), progress=lambda done, total: calls.append((done, total))).run(
        [make_repo(tmp_path)])
    assert calls == [(1, 2), (2, 2)]
