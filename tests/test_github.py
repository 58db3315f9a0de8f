"""GitHub Actions: the ``github`` output format, its automatic choice under Actions, the step
summary (snapshots in tests/snapshots/; UPDATE_SNAPSHOTS=1 rewrites them), and action.yml
checked against the GitHub Action schema that check-jsonschema vendors (offline)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from builders import TINY_ALIAS, tiny_row, with_aggregates, write_repo
from click.testing import CliRunner
from ruamel.yaml import YAML

from mlperf_repo_tools.cli import lint_command
from mlperf_repo_tools.findings import Finding, Location, Severity
from mlperf_repo_tools.reporting.github import RunTotals, render_github, render_step_summary

PROJECT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing snapshot {path}; run with UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8")


def sample_findings() -> list[Finding]:
    result = "experiment/mlperf-tiny--v1.1--closed--kws/2023-06-28.16-20-47.220286/cm-result.json"
    aggregate = result.replace("--v1.1--", "--all--")
    return [
        Finding("M007", "tags-missing", Severity.ERROR, "missing tag 'tiny'",
                Location("experiment/mlperf-tiny--v1.1--closed--kws/_cm.json", 9, 3, "/tags")),
        Finding("F008", "missing-result-file", Severity.ERROR,
                "timestamp folder 2023-06-28 has no cm-result.json",
                Location("experiment/mlperf-tiny--v1.1--closed--ad/2023-06-28/")),
        Finding("R002", "numeric-placeholder", Severity.ERROR,
                'host_processor_core_count holds text "4 (big); 4 (LITTLE)", 100% sure',
                Location(result, 12, 34, "/0/host_processor_core_count")),
        Finding("R015", "vocabulary-case", Severity.WARNING,
                "Status 'Available' should be spelled 'available'",
                Location(result, 30, 15, "/0/Status")),
        Finding("X009", "aggregate-mismatch", Severity.ERROR,
                "aggregate row differs from its per-version twin in Result | Status",
                Location(aggregate, 2, 3, "/0"), [(Location(result, 2, 3, "/0"),
                                                    "per-version row")]),
    ]


def test_github_format_snapshot() -> None:
    text = render_github(sample_findings())
    snapshot("github.txt", text)
    lines = text.splitlines()
    assert len(lines) == 5 and lines[0].startswith("::error file=experiment/")
    assert lines[3].startswith("::warning ") and ",title=R015::" in lines[3]
    assert ",line=" not in lines[1]  # a folder has no line
    assert "100%25 sure" in lines[2] and "%0Asee also" in lines[4]


def test_step_summary_snapshot() -> None:
    text = render_step_summary(sample_findings(), RunTotals(7, 120, known=3, stale=1))
    snapshot("step-summary.md", text)
    assert "| R002 | numeric-placeholder | error | 1 |" in text
    assert "Result \\| Status" in text
    clean = render_step_summary([], RunTotals(7, 120))
    assert "No findings (7 files, 120 rows checked)." in clean and "|" not in clean


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    rows = [tiny_row(Status="Preview")]
    return write_repo(tmp_path / "repo", with_aggregates({TINY_ALIAS: rows}))


def test_github_format_is_chosen_under_actions(repo: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    result = CliRunner().invoke(lint_command, [str(repo)], env=env)
    assert result.exit_code == 1
    assert re.match(r"::warning file=\S+,line=\d+,col=\d+,title=R015::", result.stdout)
    text = summary.read_text()
    assert text.startswith("earlier step\n## mlperf-repo-lint\n")  # appended, not replaced
    assert "| R015 | vocabulary-case | warning |" in text
    asked = CliRunner().invoke(lint_command, [str(repo), "--output-format", "text"], env=env)
    assert asked.stdout.startswith("experiment/") and "R015" in asked.stdout
    plain = CliRunner().invoke(lint_command, [str(repo)], env={"GITHUB_ACTIONS": "false",
                                                               "GITHUB_STEP_SUMMARY": ""})
    assert plain.stdout.startswith("experiment/")


def vendored_schema(name: str) -> dict[str, Any]:
    folder = resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    return json.loads((folder / name).read_text(encoding="utf-8"))


def load_action() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(PROJECT / "action.yml")
    return data


def test_action_yml_matches_the_github_action_schema() -> None:
    schema = vendored_schema("github-actions.json")
    validator = jsonschema.Draft7Validator(schema)
    action = load_action()
    assert not list(validator.iter_errors(action))
    broken = {**action, "runs": {"using": "composite", "steps": [{"run": "true"}]}}
    assert list(validator.iter_errors(broken)), "the schema must reject a step without shell"


def test_action_inputs_are_used_and_documented() -> None:
    action = load_action()
    inputs = set(action["inputs"])
    assert inputs == {"paths", "since", "baseline", "config", "sarif", "python-version"}
    text = (PROJECT / "action.yml").read_text()
    for name in inputs:
        assert f"inputs.{name}" in text, name


def test_action_lint_step_runs(repo: Path, tmp_path: Path) -> None:
    """The action's own script, with its inputs as the runner would pass them."""
    step = next(s for s in load_action()["runs"]["steps"] if s.get("id") == "lint")
    inputs = {"paths": str(repo), "since": "", "baseline": "", "config": "", "sarif": "true"}
    env = {name: re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: inputs[m.group(1)], value)
           .replace("${{ runner.temp }}", str(tmp_path)) for name, value in step["env"].items()}
    output = tmp_path / "output.txt"
    bin_folder = str(Path(sys.executable).parent)
    done = subprocess.run(["bash", "-e", "-c", step["run"]], capture_output=True, text=True,
                          env={**os.environ, **env, "GITHUB_OUTPUT": str(output),
                               "PATH": bin_folder + os.pathsep + os.environ["PATH"]},
                          check=False)
    assert done.returncode == 0, done.stderr
    assert output.read_text() == "exit-code=1\n"
    assert done.stdout.startswith("::warning file=") and "title=R015" in done.stdout
    sarif = json.loads((tmp_path / "mlperf-repo-lint.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["R015", "R015"]
