"""The real pre-commit framework, run on a temporary results repository that uses this project
as a hook repository (the configuration is the README's contributor snippet, pointed at a
committed copy of this checkout): a clean commit passes, a bad row fails with the finding,
and a fixer hook rewrites the file, fails the commit, and lets the next one pass.

pre-commit installs the hook the way users get it, with pip into its own environment; that
needs a package index (on this machine, the local mirror pip is configured with).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from builders import (
    INFERENCE_ALIAS,
    dump,
    inference_row,
    meta_rel,
    result_rel,
    with_aggregates,
    write_repo,
)
from readme_snippets import readme_snippet
from ruamel.yaml import YAML

PROJECT = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
# The hooks of the README's configuration that these cases exercise.
HOOKS_UNDER_TEST = {"mlperf-repo-lint", "mlperf-repo-fix-tags", "mlperf-repo-fix-derive"}
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

pytestmark = pytest.mark.skipif(not PRE_COMMIT.is_file() or shutil.which("git") is None,
                                reason="needs git and pre-commit (pip install -e '.[test]')")


def git(folder: Path, *args: str, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV, **(env or {})}, check=check)


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A committed copy of this checkout (its working tree, uncommitted files included), as
    pre-commit needs a git repository and a revision to install hooks from."""
    copy = tmp_path_factory.mktemp("hook-repo") / "mlperf-repo-tools"
    listed = git(PROJECT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.stdout.split("\0")):
        source = PROJECT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "commit", "-qm", "snapshot of the working tree")
    return copy, git(copy, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def results_repository(root: Path, hook_repository: tuple[Path, str]) -> Path:
    write_repo(root, with_aggregates({INFERENCE_ALIAS: [inference_row()]}))
    config = YAML(typ="safe").load(readme_snippet("pre-commit-config"))
    hooks = [h for h in config["repos"][0]["hooks"] if h["id"] in HOOKS_UNDER_TEST]
    config["repos"][0].update(repo=str(hook_repository[0]), rev=hook_repository[1], hooks=hooks)
    with (root / ".pre-commit-config.yaml").open("w") as handle:
        YAML().dump(config, handle)
    git(root, "init", "-q")
    return root


@dataclass
class HookCase:
    """A change to a clean, committed results repository and what the next commit shows."""

    name: str
    change: Callable[[Path], None]
    passes: bool
    output: list[str]


def drop_inference_tag(root: Path) -> None:
    path = root / meta_rel(INFERENCE_ALIAS)
    meta = json.loads(path.read_text())
    meta["tags"].remove("inference")
    path.write_text(dump(meta))


def touch_readme(root: Path) -> None:
    (root / "README.md").write_text("not a file of the format\n")


def text_in_numeric_field(root: Path) -> None:
    path = root / result_rel(INFERENCE_ALIAS)
    rows = json.loads(path.read_text())
    rows[0]["host_processor_core_count"] = "8 (big)"
    path.write_text(dump(rows))


CASES = [
    HookCase("unrelated change", touch_readme, True, ["(no files to check)"]),
    # The tag fixer runs first and repairs the meta: the commit fails for review, the lint
    # after it has nothing left to say.
    HookCase("fixable meta", drop_inference_tag, False,
             ["fixed 1 problem in 1 file (M007 1)", "files were modified by this hook"]),
    HookCase("bad row", text_in_numeric_field, False,
             [f"{result_rel(INFERENCE_ALIAS)}:", " R002 "]),
]


def committed_with_hooks(tmp_path: Path, hook_repository: tuple[Path, str],
                         pre_commit_home: Path) -> tuple[Path, dict[str, str]]:
    """A clean results repository with the hooks installed, committed through them."""
    root = results_repository(tmp_path / "results", hook_repository)
    env = {"PRE_COMMIT_HOME": str(pre_commit_home)}
    installed = subprocess.run([str(PRE_COMMIT), "install"], cwd=root, capture_output=True,
                               text=True, env={**os.environ, **GIT_ENV, **env}, check=False)
    assert installed.returncode == 0, installed.stderr
    git(root, "add", "-A")
    first = git(root, "commit", "-m", "clean results", env=env, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    assert re.search(r"^mlperf-repo-lint\.+Passed$", first.stdout + first.stderr, re.MULTILINE)
    return root, env


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_commit_through_pre_commit(case: HookCase, tmp_path: Path,
                                   hook_repository: tuple[Path, str],
                                   pre_commit_home: Path) -> None:
    root, env = committed_with_hooks(tmp_path, hook_repository, pre_commit_home)
    head = git(root, "rev-parse", "HEAD").stdout
    case.change(root)
    git(root, "add", "-A")
    second = git(root, "commit", "-m", case.name, env=env, check=False)
    output = second.stdout + second.stderr
    assert (second.returncode == 0) == case.passes, output
    for expected in case.output:
        assert expected in output, output
    assert (git(root, "rev-parse", "HEAD").stdout == head) != case.passes


def wrong_accuracy(root: Path) -> None:
    path = root / "experiment" / INFERENCE_ALIAS
    result = next(path.glob("*/cm-result.json"))
    rows = json.loads(result.read_text())
    rows[0]["Accuracy_div_100"] = 0.5
    result.write_text(dump(rows))


@pytest.mark.parametrize(("change", "hook", "expected"), [
    (drop_inference_tag, "mlperf-repo-fix tags", '"inference"'),
    (wrong_accuracy, "mlperf-repo-fix derived metrics", '"Accuracy_div_100": 0.7605'),
], ids=["tags", "derive"])
def test_fixer_hook_rewrites_then_the_next_commit_passes(
        change: Callable[[Path], None], hook: str, expected: str, tmp_path: Path,
        hook_repository: tuple[Path, str], pre_commit_home: Path) -> None:
    root, env = committed_with_hooks(tmp_path, hook_repository, pre_commit_home)
    change(root)
    touch_readme(root)  # something else in the commit, so the fixed one is not empty
    git(root, "add", "-A")
    failed = git(root, "commit", "-m", "broken", env=env, check=False)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert re.search(rf"^{re.escape(hook)}\.+Failed$", output, re.MULTILINE), output
    assert "files were modified by this hook" in output
    assert expected in git(root, "diff").stdout  # the fix, left unstaged for review
    git(root, "add", "-A")
    second = git(root, "commit", "-m", "fixed", env=env, check=False)
    assert second.returncode == 0, second.stdout + second.stderr
    assert git(root, "status", "--porcelain").stdout == ""


# --- the plain git hook (hooks/pre-commit), for repositories without the framework ---------


def _plain_hook_repository(root: Path) -> Path:
    write_repo(root, with_aggregates({INFERENCE_ALIAS: [inference_row()]}))
    git(root, "init", "-q")
    hook = root / ".git" / "hooks" / "pre-commit"
    shutil.copy2(PROJECT / "hooks" / "pre-commit", hook)
    hook.chmod(0o755)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "clean", env=_tool_path())
    return root


def _tool_path() -> dict[str, str]:
    return {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_plain_hook_blocks_a_bad_change_and_a_deleted_meta(tmp_path: Path) -> None:
    root = _plain_hook_repository(tmp_path)
    head = git(root, "rev-parse", "HEAD").stdout
    meta = root / meta_rel(INFERENCE_ALIAS)
    data = json.loads(meta.read_text())
    data["tags"] = data["tags"][:-1]  # a missing tag: M007
    meta.write_text(dump(data))
    git(root, "add", "-A")
    attempt = git(root, "commit", "-qm", "bad tags", env=_tool_path(), check=False)
    assert attempt.returncode != 0 and " M007 " in attempt.stdout + attempt.stderr
    git(root, "checkout", "-q", "--", ".")
    git(root, "reset", "-q", "--hard")
    git(root, "rm", "-q", meta_rel(INFERENCE_ALIAS))
    attempt = git(root, "commit", "-qm", "meta deleted", env=_tool_path(), check=False)
    assert attempt.returncode != 0 and " F007 " in attempt.stdout + attempt.stderr
    git(root, "reset", "-q", "--hard")
    git(root, "rm", "-q", result_rel(INFERENCE_ALIAS))  # its timestamp folder goes with it
    attempt = git(root, "commit", "-qm", "result deleted", env=_tool_path(), check=False)
    assert attempt.returncode != 0 and " F008 " in attempt.stdout + attempt.stderr
    assert git(root, "rev-parse", "HEAD").stdout == head
    git(root, "reset", "-q", "--hard")
    (root / "notes.txt").write_text("not a file of the format\n")
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "notes", env=_tool_path(), check=False).returncode == 0
