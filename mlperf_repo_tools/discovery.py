"""Find results repositories and the format's files in them.

A repository root is the nearest folder (upwards) holding ``cmr.yaml``, or else the nearest
folder holding an ``experiment/`` folder. ``prefix`` in ``cmr.yaml`` moves the experiment
folder below the root, as cmind does. Paths given on the command line limit what is reported;
the metas of the whole repository are always read, since uid uniqueness is repository-wide.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mlperf_repo_tools.loading import relative_posix

log = logging.getLogger(__name__)

REPO_META = ("cmr.yaml", "cmr.json")
META_FILES = ("_cm.json", "_cm.yaml")
RESULT_FILE = "cm-result.json"
EXPERIMENT_DIR = "experiment"


class DiscoveryError(Exception):
    """A path given by the user cannot be linted (it does not exist, or is in no repository)."""


@dataclass
class TimestampFolder:
    name: str
    path: Path
    relpath: str
    result_path: Path | None  # None when the folder has no cm-result.json


@dataclass
class ExperimentFolder:
    name: str
    path: Path
    relpath: str
    meta_paths: list[Path] = field(default_factory=list)
    timestamps: list[TimestampFolder] = field(default_factory=list)
    outside: bool = False  # a symbolic link that leaves the repository


@dataclass
class Repository:
    root: Path
    experiments_dir: Path
    repo_meta: Path | None
    prefix: str = ""
    experiments: list[ExperimentFolder] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)  # relpaths ('' = everything)

    def rel(self, path: Path) -> str:
        return relative_posix(path, self.root)

    def in_scope(self, relpath: str) -> bool:
        return any(p == "" or relpath == p or relpath.startswith(p + "/") for p in self.scope)


def find_root(start: Path) -> Path | None:
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if any((candidate / name).is_file() for name in REPO_META):
            return candidate
    for candidate in (folder, *folder.parents):
        if (candidate / EXPERIMENT_DIR).is_dir():
            return candidate
        if candidate.name == EXPERIMENT_DIR and candidate.parent != candidate:
            return candidate.parent
    return None


def read_prefix(repo_meta: Path | None) -> str:
    """The ``prefix`` key of cmr.yaml, or '' (unreadable metas are reported by the lint)."""
    if repo_meta is None or repo_meta.suffix != ".yaml":
        return ""
    try:
        text = repo_meta.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    if "prefix" not in text:
        return ""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(text)
    except (YAMLError, ValueError, RecursionError):
        return ""
    prefix = data.get("prefix") if isinstance(data, dict) else None
    return prefix.strip("/") if isinstance(prefix, str) else ""


def open_repository(root: Path) -> Repository:
    repo_meta = next((root / n for n in REPO_META if (root / n).is_file()), None)
    prefix = read_prefix(repo_meta)
    base = (root / prefix) if prefix else root
    return Repository(root=root, experiments_dir=base / EXPERIMENT_DIR, repo_meta=repo_meta,
                      prefix=prefix)


def discover(paths: Iterable[Path]) -> list[Repository]:
    """Group the given paths by repository and list each repository's experiments."""
    repos: dict[Path, Repository] = {}
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise DiscoveryError(f"{path}: no such file or folder")
        root = find_root(path)
        if root is None:
            raise DiscoveryError(f"{path}: not inside a results repository "
                                 f"(no {REPO_META[0]} and no '{EXPERIMENT_DIR}/' folder above it)")
        repo = repos.get(root)
        if repo is None:
            repo = repos[root] = open_repository(root)
        rel = relative_posix(path.resolve(), root) if path.resolve() != root else ""
        repo.scope.append("" if rel == "." else rel)
    for repo in repos.values():
        repo.experiments = list_experiments(repo)
    return list(repos.values())


def list_experiments(repo: Repository) -> list[ExperimentFolder]:
    folder = repo.experiments_dir
    if not folder.is_dir():
        return []
    result = []
    for entry in sorted(_scan(folder), key=lambda e: e.name):
        if not _is_dir(entry):
            continue
        path = Path(entry.path)
        experiment = ExperimentFolder(entry.name, path, repo.rel(path))
        if entry.is_symlink() and not _inside(path, repo.root):
            experiment.outside = True
        else:
            _fill_experiment(experiment, repo)
        result.append(experiment)
    return result


def _fill_experiment(experiment: ExperimentFolder, repo: Repository) -> None:
    for entry in sorted(_scan(experiment.path), key=lambda e: e.name):
        path = Path(entry.path)
        if entry.name in META_FILES:
            experiment.meta_paths.append(path)
        elif _is_dir(entry):
            result = path / RESULT_FILE
            present = result.exists() or result.is_symlink()
            experiment.timestamps.append(TimestampFolder(
                entry.name, path, repo.rel(path), result if present else None))


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError as exc:
        log.warning("cannot list %s: %s", folder, exc)
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symbolic link loop
        return False


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True
