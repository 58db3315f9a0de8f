"""Baseline and pull-request mode on a git copy of the real repository snapshot: a baseline
of today's findings reports nothing; one new defect in one result file is reported alone by
--baseline, --since HEAD reports only findings in or involving that file, and both together
report exactly the defect."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlperf_repo_tools.cli import lint_command

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "cm4mlperf-results"
CHANGED = ("experiment/mlperf-inference--v3.1--edge--closed--image-classification--offline/"
           "2023-09-12.12-36-02.960204/cm-result.json")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

if os.environ.get("CI") == "true" and not (CORPUS / CHANGED).is_file():
    raise RuntimeError(f"the corpus is missing from CI: {CORPUS}")
pytestmark = pytest.mark.skipif(not (CORPUS / CHANGED).is_file() or shutil.which("git") is None,
                                reason="needs git and the corpus in ../shared/corpus")


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(lint_command, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def finding_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if not line.startswith(" ")]


def test_baseline_and_since_on_the_corpus(tmp_path: Path) -> None:
    root = tmp_path / "results"
    shutil.copytree(CORPUS, root)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "snapshot"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                       env={**os.environ, **GIT_ENV})
    baseline = tmp_path / "baseline.json"
    assert run(root, "--write-baseline", baseline)[0] == 0
    assert run(root, "--baseline", baseline)[:2] == (0, "")

    # The new defect: a row's "Accuracy" line written twice. The parsed row is unchanged, so
    # nothing else (aggregate twins, duplicates) is affected.
    path = root / CHANGED
    text = path.read_text()
    line = re.search(r'\n( *"Accuracy": [^\n]*,)\n', text)
    assert line is not None
    path.write_text(text[:line.end()] + line.group(1) + "\n" + text[line.end():])
    expected = [f'{CHANGED}:4:5: F003 duplicate key "Accuracy"; readers keep only the last value']

    status, out, _ = run(root, "--baseline", baseline)
    assert (status, finding_lines(out)) == (1, expected)
    status, out, _ = run(root, "--since", "HEAD")
    blocks = re.split(r"\n(?! )", out.strip())  # a finding with its indented related places
    assert status == 1 and all(CHANGED in block for block in blocks)
    assert expected[0] in finding_lines(out)
    status, out, _ = run(root, "--since", "HEAD", "--baseline", baseline)
    assert (status, finding_lines(out)) == (1, expected)
