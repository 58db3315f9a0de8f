"""Pull-request mode: the files of the format changed since a git revision.

``git diff REF`` compares the revision with the working tree, so it covers what was committed
since REF, what is staged and what is not; untracked files are added as new. A rename counts
as a deletion of the old path and a change of the new one. Only the commit REF itself must be
present, so a shallow clone works once REF was fetched (``git fetch --depth=1 origin REF``).

A deleted file cannot be checked; its experiment folder, when it is still there, is checked
instead, since what is left of the experiment may now be inconsistent; when the whole
experiment is gone, its aggregate and per-version twins are checked.
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from mlperf_repo_tools.discovery import FORMAT_FILES, RESULT_FILE

log = logging.getLogger(__name__)

class GitError(ValueError):
    """git cannot say what changed (not a repository, unknown revision, git missing)."""


@dataclass
class Changes:
    changed: list[Path] = field(default_factory=list)  # present in the working tree
    deleted: list[Path] = field(default_factory=list)  # gone since REF

    def lint_targets(self) -> list[Path]:
        """What to lint: the changed files of the format, and the experiment folders that lost
        a file of the format."""
        targets = [p for p in self.changed if p.name in FORMAT_FILES and p.is_file()]
        for path in self.deleted:
            if path.name not in FORMAT_FILES:
                continue
            experiment = path.parent.parent if path.name == RESULT_FILE else path.parent
            if experiment.is_dir():
                targets.append(experiment)
            else:  # the whole experiment went: its aggregate or per-version twins may miss it
                targets.extend(_twins(experiment))
        return sorted(set(targets))


def _twins(experiment: Path) -> list[Path]:
    """The experiment folders beside ``experiment`` with its twin key (see `twin_key`)."""
    from mlperf_repo_tools.consistency import twin_key

    key = twin_key(experiment.name)
    if key is None or not experiment.parent.is_dir():
        return []
    return [folder for folder in experiment.parent.iterdir()
            if folder.is_dir() and twin_key(folder.name) == key]


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, check=False)
    except FileNotFoundError:
        raise GitError("--since needs git, and git is not on PATH") from None
    if done.returncode != 0:
        raise GitError(done.stderr.strip() or f"git {args[0]} failed")
    return done.stdout


def changed_since(folder: Path, ref: str) -> Changes:
    """The files changed between ``ref`` and the working tree of the git repository holding
    ``folder``, as absolute paths."""
    folder = folder if folder.is_dir() else folder.parent
    try:
        top = Path(_git(folder, "rev-parse", "--show-toplevel").strip())
    except GitError:
        raise GitError(f"{folder}: not inside a git repository; --since needs one") from None
    try:
        _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except GitError:
        shallow = _git(top, "rev-parse", "--is-shallow-repository").strip() == "true"
        fetch = ("git fetch --deepen=N, for N more commits" if any(c in ref for c in "~^@:")
                 else f"git fetch --depth=1 origin {ref}")
        hint = f"; this clone is shallow: fetch it first ({fetch})" if shallow else ""
        raise GitError(f"unknown git revision '{ref}' in {top}{hint}") from None
    changes = Changes()
    diff = _git(top, "-c", "core.quotepath=off", "diff", "--name-status", "-z", "-M",
                "--no-ext-diff", ref, "--")
    fields = diff.split("\0")
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index][0]
        if status in "RC":
            old, new = fields[index + 1], fields[index + 2]
            index += 3
            if status == "R":
                changes.deleted.append(top / old)
            changes.changed.append(top / new)
            continue
        path = top / fields[index + 1]
        index += 2
        (changes.deleted if status == "D" else changes.changed).append(path)
    untracked = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
    changes.changed.extend(top / name for name in untracked.split("\0") if name)
    log.debug("since %s: %d changed, %d deleted", ref, len(changes.changed),
              len(changes.deleted))
    return changes
