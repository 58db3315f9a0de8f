"""Writing fixed files safely: atomically, inside the repository, or only as a diff.

A file is written to a temporary file in its own folder, flushed and fsynced, given the
original's mode, then renamed over the original: a reader (or a crash) sees the old file or
the new one, never a mix. Temporary files carry a fixed marker in their name so that those
left by a killed run are recognised and removed by the next one.
"""

from __future__ import annotations

import difflib
import logging
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from mlperf_repo_tools.loading import is_inside

log = logging.getLogger(__name__)

TEMP_MARKER = ".mlperf-repo-fix-"
TEMP_SUFFIX = ".tmp"


class WriteError(Exception):
    """A fixed file cannot be written where it belongs."""


def check_target(path: Path, root: Path) -> None:
    """Refuse to write through a symbolic link or outside the repository root."""
    if path.is_symlink():
        raise WriteError(f"{path}: not rewritten, it is a symbolic link")
    if not is_inside(path.parent, root) or not is_inside(path, root):
        raise WriteError(f"{path}: not rewritten, it is outside the repository {root}")


def why_not_rewritten(path: Path) -> str | None:
    """Why the fixer leaves the file at ``path`` alone although it could fix it, or None: a
    rewrite replaces the file by a new one, which would turn a symbolic link into a file and
    give a file with hard links a content of its own."""
    if path.is_symlink():
        return "it is a symbolic link (fix the file it points to)"
    try:
        links = path.stat().st_nlink
    except OSError:
        return None
    if links > 1:
        return f"it has {links} hard links, which a rewrite would separate"
    return None


def write_atomically(path: Path, text: str, root: Path) -> None:
    check_target(path, root)
    # The rename gives the path a new inode (the runner leaves hard-linked files alone).
    info = path.stat() if path.exists() else None
    mode = stat.S_IMODE(info.st_mode) if info else 0o644
    data = text.encode("utf-8")
    handle, temp = tempfile.mkstemp(prefix="." + path.name + TEMP_MARKER, suffix=TEMP_SUFFIX,
                                    dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        if info is not None and hasattr(os, "geteuid") and os.geteuid() == 0:
            os.chown(temp, info.st_uid, info.st_gid)  # root may, and must, keep the owner
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems cannot sync a folder; the rename is still atomic
        pass
    finally:
        os.close(descriptor)


def remove_stale_temporaries(folders: Iterable[Path]) -> int:
    """Delete temporary files a killed run left behind in these folders."""
    removed = 0
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if TEMP_MARKER in name and name.startswith(".") and name.endswith(TEMP_SUFFIX):
                path = folder / name
                if path.is_file() and not path.is_symlink():
                    path.unlink(missing_ok=True)
                    log.debug("removed %s, left by an interrupted run", path)
                    removed += 1
    return removed


def unified_diff(relpath: str, before: str, after: str) -> str:
    """A unified diff that `patch -p1` and `git apply` read back exactly. GNU diff computes it
    when it is installed (difflib takes minutes on a 4 MB result file with many changes)."""
    fast = _external_diff(relpath, before, after)
    if fast is not None:
        return fast
    out = []
    for line in difflib.unified_diff(_lines(before), _lines(after), fromfile="a/" + relpath,
                                     tofile="b/" + relpath):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _external_diff(relpath: str, before: str, after: str) -> str | None:
    program = shutil.which("diff")
    if program is None:
        return None
    with tempfile.TemporaryDirectory(prefix="mlperf-repo-fix-diff-") as folder:
        old, new = Path(folder) / "a", Path(folder) / "b"
        old.write_bytes(before.encode("utf-8", "surrogatepass"))
        new.write_bytes(after.encode("utf-8", "surrogatepass"))
        proc = subprocess.run([program, "-u", "--label", "a/" + relpath, "--label",
                               "b/" + relpath, str(old), str(new)], capture_output=True,
                              check=False)
    if proc.returncode not in (0, 1):
        return None
    return proc.stdout.decode("utf-8", "surrogatepass")


def _lines(text: str) -> list[str]:
    """Lines as patch(1) sees them: split after each '\\n' only (str.splitlines also splits
    at '\\r', U+2028 and others, which JSON strings may hold unescaped)."""
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]]
    return [*result, lines[-1]] if lines[-1] else result
