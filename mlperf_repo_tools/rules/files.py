"""F: reading the format's files. Most of these are raised by the loader itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlperf_repo_tools.context import ExperimentContext, ResultFileContext, RowContext
from mlperf_repo_tools.findings import Problem
from mlperf_repo_tools.rules import declare, rule

declare("F001", "invalid-syntax", """
    The file is not valid JSON (or YAML): empty, truncated, or malformed.

    Why: a file CM cannot parse hides every result in it from every query, and the CK
    playground fails on it.

    Fails: `[{"uid": "0123456789abcdef",` (truncated)
    Passes: `[{"uid": "0123456789abcdef"}]`
    """)
declare("F002", "invalid-encoding", """
    The file is not plain UTF-8: it has a byte order mark, is UTF-16, or holds invalid bytes.

    Why: JSON exchanged between systems must be UTF-8 without a byte order mark (RFC 8259);
    cmind and most JSON readers reject or mangle anything else.

    Fails: a file starting with the bytes EF BB BF, or holding the byte FF.
    Passes: the same text saved as UTF-8 without a BOM.
    """)
declare("F003", "duplicate-key", """
    An object has the same key twice.

    Why: readers keep only the last value, so the first one is silently lost; which value a
    user sees depends on the reader.

    Fails: `{"Result": 1.0, "Result": 2.0}`
    Passes: `{"Result": 2.0}`
    """)
declare("F004", "non-finite-number", """
    A number is NaN, Infinity, or too large to be read as a float.

    Why: JSON has no NaN or Infinity; Python writes them but other readers reject the file,
    and a value such as 1e400 silently becomes infinity.

    Fails: `{"Result": NaN}`, `{"Result": 1e400}`
    Passes: `{"Result": null}`
    """)
declare("F005", "result-not-array", """
    A cm-result.json does not hold a JSON array.

    Why: CM and the CK playground read a result file as a list of result rows; anything else
    is skipped or crashes the reader.

    Fails: `{"uid": "0123456789abcdef"}`
    Passes: `[{"uid": "0123456789abcdef"}]`
    """)


@rule("F009", "unreadable-file", scope="experiment")
def unreadable_folder(exp: ExperimentContext) -> Iterator[Problem]:
    """A file or folder of the format cannot be read, or lies outside the repository.

    Causes: a folder where a file belongs, a symbolic link that leaves the repository (or a
    `prefix` in `cmr.yaml` that does), a link loop or a dangling link, a FIFO or a device, a
    file over the size limit, an I/O error. Files are reported while loading them, folders by
    this check; nothing outside the repository is read.

    Why: what cannot be read cannot be checked, and a link out of the repository publishes
    whatever it points to.

    Fails: a folder named `cm-result.json`; `_cm.json -> /etc/passwd`;
    `experiment/<alias> -> /home/me/elsewhere`.
    Passes: a regular file inside the repository.
    """
    if exp.folder.problem:
        yield Problem((), exp.folder.problem, path=exp.folder.relpath + "/")


@rule("F006", "key-whitespace", scope="row")
def key_whitespace(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A key starts or ends with whitespace.

    Why: `"Operating System "` and `"Operating System"` are different keys to every reader,
    so the value is invisible to anyone querying the intended name, and rows end up carrying
    both, sometimes with different values.

    Fails: `{"Operating System ": "bare metal"}`
    Passes: `{"Operating System": "bare metal"}`
    """
    for key in row:
        if key != key.strip():
            twin = key.strip()
            extra = ""
            if twin in row:
                same = row[twin] == row[key]
                extra = f"; the row also has {twin!r}" + ("" if same else " with another value")
            yield Problem((key,), f"key {key!r} has surrounding whitespace{extra}", at_key=True)


@rule("F007", "experiment-without-meta", scope="experiment")
def experiment_without_meta(exp: ExperimentContext) -> Iterator[Problem]:
    """An experiment folder has neither `_cm.json` nor `_cm.yaml`.

    Why: cmind recognizes an experiment by its meta; without one, `cm find experiment`
    never returns the folder and its results are invisible.

    Fails: `experiment/mlperf-tiny--v1.1--closed--kws/` holding only a timestamp folder.
    Passes: the same folder with its `_cm.json`.
    """
    if not exp.folder.meta_paths and not exp.folder.problem:
        yield Problem((), "experiment folder has no _cm.json or _cm.yaml",
                      path=exp.folder.relpath + "/")


@rule("F008", "missing-result-file", scope="experiment")
def missing_result_file(exp: ExperimentContext) -> Iterator[Problem]:
    """An experiment has no result file: a timestamp folder without `cm-result.json`, or no
    timestamp folder at all.

    Why: each timestamp folder is one import of results; an empty one (or none) means a lost
    or never-committed result file, and the experiment shows no results to anyone.

    Fails: `experiment/<alias>/2023-09-12.12-35-19.934300/` with no `cm-result.json`;
    `experiment/<alias>/` holding only `_cm.json`.
    Passes: `experiment/<alias>/2023-09-12.12-35-19.934300/cm-result.json`
    """
    if exp.folder.problem or not exp.folder.meta_paths:
        return
    for ts in exp.folder.timestamps:
        if ts.result_path is None:
            yield Problem((), f"timestamp folder {ts.name} has no cm-result.json",
                          path=ts.relpath + "/")
    if not exp.folder.timestamps:
        yield Problem((), "experiment has no timestamp folder and so no cm-result.json",
                      path=exp.folder.relpath + "/")


@rule("F010", "row-not-object", scope="result-file")
def row_not_object(rf: ResultFileContext) -> Iterator[Problem]:
    """An element of a result file's array is not a JSON object.

    Why: every reader treats a result row as a mapping of keys to values.

    Fails: `[["Result", 1.0]]`
    Passes: `[{"Result": 1.0}]`
    """
    for index, row in enumerate(rf.rows):
        if not isinstance(row, dict):
            yield Problem((index,), f"row {index} is {type(row).__name__}, not an object")
