"""The README's copy-paste snippets for the three ways to use the tool, exercised as written:
the contributor's pre-commit configuration (run for real in test_precommit.py), the GitHub
workflow, the configuration example and the maintainer's release run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from readme_snippets import readme_snippet
from ruamel.yaml import YAML

from mlperf_repo_tools.config import parse_config

PROJECT = Path(__file__).resolve().parent.parent


def yaml_data(text: str) -> Any:
    return YAML(typ="safe").load(text)


def test_pre_commit_snippet_is_the_sample_config() -> None:
    sample = (PROJECT / "hooks" / "sample-pre-commit-config.yaml").read_text()
    snippet = yaml_data(readme_snippet("pre-commit-config"))
    assert snippet == yaml_data(sample)
    hooks = yaml_data((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in snippet["repos"][0]["hooks"]} <= {h["id"] for h in hooks}


def test_workflow_snippet_is_a_valid_workflow_using_the_action() -> None:
    workflow = yaml_data(readme_snippet("github-workflow"))
    folder = resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    schema = json.loads((folder / "github-workflows.json").read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft7Validator(schema).iter_errors(workflow))
    steps = workflow["jobs"]["mlperf-repo-lint"]["steps"]
    action = yaml_data((PROJECT / "action.yml").read_text())
    ours = next(s for s in steps if "mlperf-repo-tools" in s["uses"])
    assert set(ours["with"]) <= set(action["inputs"])
    checkout = next(s for s in steps if s["uses"].startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] >= 2  # the base of the pull request is needed


def test_configuration_snippet_is_valid() -> None:
    import tomllib

    config = parse_config(tomllib.loads(readme_snippet("config")), Path("README.md"))
    assert config.ignore == ["R014"] and config.per_file_ignores
    assert config.vocabulary["inference"]["rounds"]["v6.0"]["models"] == ["resnet",
                                                                       "llama3.1-405b"]


def shell_lines(snippet: str) -> list[str]:
    return [line for line in snippet.splitlines() if line.strip()]


def test_maintainer_release_run(tmp_path: Path) -> None:
    root = tmp_path / "results"
    shutil.copytree(PROJECT / "examples" / "sample-results", root)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep
           + os.environ["PATH"]}
    env.pop("GITHUB_ACTIONS", None)
    env.pop("GITHUB_STEP_SUMMARY", None)

    def sh(line: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", line], cwd=root, capture_output=True, text=True,
                              env=env, check=False)

    (adopt,) = shell_lines(readme_snippet("adopt"))
    assert sh(adopt).returncode == 0 and (root / ".mlperf-baseline.json").is_file()
    statistics, check, shrink, sarif = shell_lines(readme_snippet("release"))
    counts = sh(statistics)
    assert counts.returncode == 1 and counts.stdout.split()[0].isdigit()
    assert (sh(check).returncode, sh(check).stdout) == (0, "")
    assert sh(shrink).returncode == 0
    assert sh(sarif).returncode == 1
    report = json.loads((root / "mlperf-repo-lint.sarif").read_text())
    assert len(report["runs"][0]["results"]) == sum(
        int(line.split()[0]) for line in counts.stdout.splitlines())


def test_maintainer_fix_run(tmp_path: Path) -> None:
    root = tmp_path / "results"
    shutil.copytree(PROJECT / "examples" / "sample-results", root)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep
           + os.environ["PATH"]}
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}

    def sh(line: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", line], cwd=root, capture_output=True, text=True,
                              env=env, check=False)

    review, apply, check = shell_lines(readme_snippet("release-fix"))
    assert sh(review).returncode == 1
    diff = (root / "fixes.diff").read_text()
    assert diff.startswith("--- a/experiment/") and "+    \"Inference_per_Joule\": " in diff
    (root / "fixes.diff").unlink()
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    assert sh(apply).returncode == 1  # it changed files (and unfixable findings remain)
    assert (sh(check).returncode, sh(check).stdout) == (0, "")
