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

from mlperf_repo_tools.loading import is_inside, relative_posix

log = logging.getLogger(__name__)

REPO_META = ("cmr.yaml", "cmr.json")
META_FILES = ("_cm.json", "_cm.yaml")
RESULT_FILE = "cm-result.json"
# Every file name of the format.
FORMAT_FILES = frozenset({*META_FILES, RESULT_FILE, *REPO_META})
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
    problem: str = ""  # why the folder was not read (outside, a link loop, unlistable)


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

    def touches(self, folder: ExperimentFolder) -> bool:
        """Whether the run was given the experiment folder, something in it, or a folder
        above it."""
        rel = folder.relpath
        return any(p in ("", rel) or p.startswith(rel + "/") or rel.startswith(p + "/")
                   for p in self.scope)

    def in_scope(self, relpath: str) -> bool:
        return any(p == "" or relpath == p or relpath.startswith(p + "/") for p in self.scope)


def real_path(path: Path) -> Path:
    """``path`` with symbolic links followed; a link loop stays unresolved instead of raising
    (``Path.resolve`` raises RuntimeError on one)."""
    return Path(os.path.realpath(path))


def find_root(start: Path) -> Path | None:
    start = real_path(start)
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


def read_prefix(repo_meta: Path | None, root: Path) -> str:
    """The ``prefix`` key of cmr.yaml, or '' (unreadable metas are reported by the lint, and
    one linked from outside the repository is not read)."""
    if repo_meta is None or repo_meta.suffix != ".yaml" or not is_inside(repo_meta, root):
        return ""
    try:
        with open(repo_meta, "rb", opener=_nonblocking) as handle:
            if not os.path.isfile(repo_meta):
                return ""
            text = handle.read(1 << 20).decode("utf-8")
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
    prefix = read_prefix(repo_meta, root)
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
        repo.scope.append(_scope(path, root))
    for repo in repos.values():
        repo.experiments = list_experiments(repo)
    return list(repos.values())


def _scope(path: Path, root: Path) -> str:
    """The repository-relative path a given path stands for. A given link is its own name
    (pre-commit passes the changed link, not what it points to); its folder is resolved."""
    where = real_path(path) if path.is_dir() else real_path(path.parent) / path.name
    rel = relative_posix(where, root) if where != root else ""
    return "" if rel == "." else rel


def _nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NONBLOCK)


def list_experiments(repo: Repository) -> list[ExperimentFolder]:
    """Every folder in the experiment folder. One that cannot be read, or that lies outside
    the repository (through a link, or a ``prefix`` with '..'), is listed with the reason and
    nothing in it is read."""
    folder = repo.experiments_dir
    if not folder.is_dir():
        return []
    escapes = not is_inside(folder, repo.root)
    result = []
    for entry in sorted(_scan(folder), key=lambda e: e.name):
        if not _is_dir(entry) and not _is_broken_link(entry):
            continue
        path = Path(entry.path)
        experiment = ExperimentFolder(entry.name, path, repo.rel(path))
        experiment.problem = _folder_problem(entry, repo.root, escapes)
        experiment.outside = experiment.problem.startswith(_OUTSIDE)
        if not experiment.problem:
            _fill_experiment(experiment, repo)
        result.append(experiment)
    return result


_OUTSIDE = "experiment folder is outside the repository"


def _folder_problem(entry: os.DirEntry[str], root: Path, escapes: bool) -> str:
    if escapes:
        return f"{_OUTSIDE} (the experiment folder or cmr.yaml's prefix leads out of it); not read"
    if entry.is_symlink() and not _is_dir(entry):
        return _broken_link(entry.path)
    if entry.is_symlink() and not is_inside(Path(entry.path), root):
        return (f"{_OUTSIDE}: a symbolic link to {os.path.realpath(entry.path)}; not read")
    return ""


def _broken_link(path: str) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        return f"cannot read folder: {exc.strerror or exc} (a symbolic link); not read"
    return "a symbolic link to something that is not a folder; not read"


def _fill_experiment(experiment: ExperimentFolder, repo: Repository) -> None:
    try:
        with os.scandir(experiment.path) as listing:
            entries = list(listing)
    except OSError as exc:
        experiment.problem = f"cannot list folder: {exc.strerror or exc}"
        return
    for entry in sorted(entries, key=lambda e: e.name):
        path = Path(entry.path)
        if entry.name in META_FILES:
            experiment.meta_paths.append(path)
        elif _is_dir(entry) or _is_broken_link(entry):
            # A broken link stands for a timestamp folder: reading its result file reports why.
            result = path / RESULT_FILE
            present = result.exists() or result.is_symlink() or not _is_dir(entry)
            experiment.timestamps.append(TimestampFolder(
                entry.name, path, repo.rel(path), result if present else None))


def _is_broken_link(entry: os.DirEntry[str]) -> bool:
    if not entry.is_symlink():
        return False
    try:
        os.stat(entry.path)
    except OSError:
        return True
    return False


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
