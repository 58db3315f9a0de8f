"""Pull-request mode: --since REF checks what changed between REF and the working tree
(committed, staged, unstaged, untracked, renamed, deleted), with the consistency of the
changed experiments, in full and shallow clones."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from builders import (
    INFERENCE_ALIAS,
    TINY_ALIAS,
    dump,
    inference_row,
    result_rel,
    tiny_row,
    with_aggregates,
    write_repo,
)
from click.testing import CliRunner

from mlperf_repo_tools.cli import lint_command

AGGREGATE = INFERENCE_ALIAS.replace("--v4.0--", "--all--")
TINY_AGGREGATE = TINY_ALIAS.replace("--v1.1--", "--all--")
# A tiny row spelled 'Available' (R015) now also differs from its aggregate twin (X009).
TINY_BROKEN = [(result_rel(TINY_AGGREGATE), "X009"), (result_rel(TINY_ALIAS), "R015")]
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True)
    return done.stdout.strip()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(lint_command, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A clean results repository with two experiments, committed twice (so HEAD~1 exists)."""
    root = write_repo(tmp_path / "repo", with_aggregates({
        INFERENCE_ALIAS: [inference_row()], TINY_ALIAS: [tiny_row()]}))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    (root / "README.md").write_text("results\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "second")
    assert run(root)[0] == 0
    return root


def break_row(root: Path, alias: str, **changes: object) -> Path:
    path = root / result_rel(alias)
    rows = json.loads(path.read_text())
    rows[0].update(changes)
    path.write_text(dump(rows))
    return path


def reported(out: str) -> list[tuple[str, str]]:
    """(path, code) of each finding line."""
    return [(line.split(":")[0], line.split(": ")[1].split()[0])
            for line in out.splitlines() if not line.startswith(" ")]


def test_unstaged_change_with_its_consistency(repo: Path) -> None:
    break_row(repo, INFERENCE_ALIAS, Result=1300.0)  # now differs from its aggregate twin
    break_row(repo, TINY_ALIAS, Status="Available")  # changed too, but outside PATHS below
    status, out, _ = run(repo / "experiment" / INFERENCE_ALIAS, "--since", "HEAD")
    assert status == 1
    # The finding sits in the untouched aggregate file and involves the changed file.
    assert reported(out) == [(result_rel(AGGREGATE), "X009")]
    assert result_rel(INFERENCE_ALIAS) in out
    status, out, _ = run(repo, "--since", "HEAD")
    assert sorted(reported(out)) == sorted([(result_rel(AGGREGATE), "X009"), *TINY_BROKEN])


def test_staged_and_committed_changes(repo: Path) -> None:
    break_row(repo, TINY_ALIAS, Status="Available")
    git(repo, "add", "-A")
    assert reported(run(repo, "--since", "HEAD")[1]) == TINY_BROKEN
    git(repo, "commit", "-qm", "break")
    assert run(repo, "--since", "HEAD")[:2] == (0, "")
    assert reported(run(repo, "--since", "HEAD~1")[1]) == TINY_BROKEN


def test_untracked_experiment_is_checked(repo: Path) -> None:
    alias = INFERENCE_ALIAS.replace("image-classification", "image-clasification")
    shutil.copytree(repo / "experiment" / INFERENCE_ALIAS, repo / "experiment" / alias)
    status, out, _ = run(repo, "--since", "HEAD")
    assert status == 1 and f"experiment/{alias}/_cm.json:2:12: M001 " in out


def test_renamed_experiment_is_checked_at_its_new_path(repo: Path) -> None:
    alias = TINY_ALIAS.replace("kws", "kvs")
    git(repo, "mv", f"experiment/{TINY_ALIAS}", f"experiment/{alias}")
    status, out, _ = run(repo, "--since", "HEAD")
    assert status == 1 and f"experiment/{alias}/" in out
    assert f"experiment/{TINY_ALIAS}/" not in out


def test_deleted_result_file_checks_its_experiment(repo: Path) -> None:
    (repo / result_rel(TINY_ALIAS)).unlink()
    status, out, _ = run(repo, "--since", "HEAD")
    assert status == 1
    assert reported(out) == [(f"experiment/{TINY_ALIAS}/{result_rel(TINY_ALIAS).split('/')[2]}/",
                              "F008")]


def test_deleted_experiment_checks_its_twins(repo: Path) -> None:
    """The aggregate of a deleted experiment now holds rows with no per-version twin."""
    shutil.rmtree(repo / "experiment" / INFERENCE_ALIAS)
    status, out, _ = run(repo, "--since", "HEAD")
    assert status == 1
    assert set(reported(out)) == {(result_rel(AGGREGATE), "X010")}


def test_nothing_changed(repo: Path) -> None:
    (repo / "notes.txt").write_text("not a file of the format\n")
    status, out, err = run(repo, "--since", "HEAD~1")
    assert (status, out) == (0, "") and "changed since HEAD~1" in err


def test_unknown_revision_is_exit_2(repo: Path) -> None:
    status, out, err = run(repo, "--since", "no-such-branch")
    assert status == 2 and out == ""
    assert "unknown git revision 'no-such-branch'" in err and "Traceback" not in err
    status, _, err = run(repo, "--since", "--output=/tmp/x")
    assert status == 2 and "unknown git revision" in err


def test_not_a_git_repository_is_exit_2(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "plain", {TINY_ALIAS: [tiny_row()]})
    status, _, err = run(root, "--since", "HEAD")
    assert status == 2 and "not inside a git repository" in err


def test_shallow_clone_needs_the_revision_fetched(repo: Path, tmp_path: Path) -> None:
    git(repo, "config", "uploadpack.allowAnySHA1InWant", "true")
    first = git(repo, "rev-parse", "HEAD~1")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{repo}", str(clone)],
                   check=True, env={**os.environ, **GIT_ENV})
    break_row(clone, TINY_ALIAS, Status="Available")
    status, _, err = run(clone, "--since", first)
    assert status == 2 and first in err and "fetch" in err
    git(clone, "fetch", "-q", "--depth=1", "origin", first)
    status, out, _ = run(clone, "--since", first)
    assert status == 1 and reported(out) == TINY_BROKEN
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"


def test_shallow_clone_hint_for_a_relative_revision(repo: Path, tmp_path: Path) -> None:
    """'git fetch origin HEAD~1' is not a refspec: the hint deepens the history instead."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{repo}", str(clone)],
                   check=True, env={**os.environ, **GIT_ENV})
    status, _, err = run(clone, "--since", "HEAD~1")
    assert status == 2 and "git fetch --deepen=N" in err
    git(clone, "fetch", "-q", "--deepen=1")
    assert run(clone, "--since", "HEAD~1")[0] == 0


def test_new_experiment_with_only_a_meta_reports_its_folder(repo: Path) -> None:
    """A given meta speaks for its experiment: the folder's own findings come with it."""
    alias = TINY_ALIAS.replace("kws", "vww")
    folder = repo / "experiment" / alias
    folder.mkdir()
    meta = json.loads((repo / "experiment" / TINY_ALIAS / "_cm.json").read_text())
    meta.update(alias=alias, uid="0f0f0f0f0f0f0f0f",
                tags=[t if t != "kws" else "vww" for t in meta["tags"]])
    (folder / "_cm.json").write_text(dump(meta))
    status, out, _ = run(repo, "--since", "HEAD")
    assert status == 1 and (f"experiment/{alias}/", "F008") in reported(out)
