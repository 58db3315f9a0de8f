"""Read the format's files into documents that remember where each value came from.

A result file is decoded row by row with the standard library's C decoder, which keeps the
offset of every row: one parse per file, and positions for any finding at the cost of a short
walk. Anything the format forbids but the decoder accepts (a byte order mark, duplicate keys,
NaN) and anything it rejects (bad UTF-8, a truncated file) becomes a load issue with a line and
column, never an exception.
"""

from __future__ import annotations

import codecs
import functools
import itertools
import json
import math
import operator
import os
import re
import stat
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlperf_repo_tools.positions import Anomaly, PositionIndex, scan_anomalies

MAX_FILE_BYTES = 64 * 1024 * 1024
_WS = re.compile(r"[ \t\n\r]*")
_INFINITIES = (math.inf, -math.inf)
_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE,
                  codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass
class LoadIssue:
    code: str
    message: str
    line: int = 0
    column: int = 0
    parts: tuple[str | int, ...] = ()


@dataclass
class Document:
    """One file of the format, parsed (``ok``) or not, with what went wrong while loading."""

    path: Path
    relpath: str
    data: Any = None
    ok: bool = False
    text: str | None = None
    element_offsets: list[int] | None = None
    issues: list[LoadIssue] = field(default_factory=list)
    yaml_root: Any = None
    _index: PositionIndex | None = None
    _flat_rows: dict[int, bool] = field(default_factory=dict)
    _released: bool = False

    def release_text(self) -> None:
        """Drop the text (it is read again if a position is needed) to keep memory low while
        the parsed rows stay available to repository-wide checks."""
        if self.ok and self.text is not None:
            self.text, self._index, self._released = None, None, True

    def locate(self, parts: tuple[str | int, ...], at_key: bool = False) -> tuple[int, int]:
        """1-based line and column of the value (or key) at ``parts``; (0, 0) if unknown."""
        if self.yaml_root is not None:
            return _locate_yaml(self.yaml_root, parts, at_key)
        if self.text is None and self._released:
            index = _REREAD.index_of(self)
            if index is None:
                return (0, 0)
            return index.locate(parts, at_key, self._is_flat_row(parts))
        if self.text is None:
            return (0, 0)
        if self._index is None:
            self._index = PositionIndex(self.text, self.element_offsets)
        return self._index.locate(parts, at_key, self._is_flat_row(parts))

    def _is_flat_row(self, parts: tuple[str | int, ...]) -> bool:
        if self.element_offsets is None or not parts or not isinstance(parts[0], int):
            return False
        flat = self._flat_rows.get(parts[0])
        if flat is None:
            rows = self.data if isinstance(self.data, list) else []
            row = rows[parts[0]] if parts[0] < len(rows) else None
            flat = self._flat_rows[parts[0]] = isinstance(row, dict) and \
                SCALAR_TYPES.issuperset(map(type, row.values()))
        return flat

    def issue(self, code: str, message: str, parts: tuple[str | int, ...] = (),
              line: int = 0, column: int = 0) -> None:
        if not line and self.text is not None:
            line, column = self.locate(parts)
        self.issues.append(LoadIssue(code, message, line, column, parts))


# The Python types of JSON scalars as the decoder makes them.
SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


class _RereadTexts:
    """The texts of released documents read back to locate findings, with their position
    indexes, kept while they fit a budget: findings that point into other files (twins,
    aggregates) come in any order, and reading a 4 MB file back for each would dominate."""

    def __init__(self, budget_chars: int) -> None:
        self.budget = budget_chars
        # by id of the document; the weak reference tells a reused id from the same document
        self.held: OrderedDict[int, tuple[weakref.ref[Document], PositionIndex]] = (
            OrderedDict())
        self.size = 0

    def index_of(self, doc: Document) -> PositionIndex | None:
        entry = self.held.get(id(doc))
        if entry is not None and entry[0]() is doc:
            self.held.move_to_end(id(doc))
            return entry[1]
        text = read_text(doc.path, doc.relpath, None).text
        if text is None:
            return None
        index = PositionIndex(text, doc.element_offsets)
        self._drop(id(doc))
        self.held[id(doc)] = (weakref.ref(doc), index)
        self.size += len(text)
        for key in [k for k, (ref, _) in self.held.items() if ref() is None]:
            self._drop(key)
        while self.size > self.budget and len(self.held) > 1:
            self._drop(next(iter(self.held)))
        return index

    def _drop(self, key: int) -> None:
        entry = self.held.pop(key, None)
        if entry is not None:
            self.size -= len(entry[1].text)


_REREAD = _RereadTexts(budget_chars=24 * 2**20)


class _Decoder(json.JSONDecoder):
    """A decoder that notes duplicate keys and non-finite constants instead of hiding them."""

    def __init__(self) -> None:
        super().__init__(object_pairs_hook=self._pairs, parse_constant=self._constant,
                         parse_float=self._float)
        self.suspicious = False

    def _float(self, literal: str) -> float:
        value = float(literal)
        if value in _INFINITIES:  # a literal too large for a float, such as 1e400
            self.suspicious = True
        return value

    def _pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # Rows are decoded one by one, so the decoder's own key memo ends with each row; the
        # same 40 keys in 48,000 rows would otherwise be 2 million strings (100 MB).
        result = dict(zip(map(sys.intern, map(_FIRST, pairs)), map(_SECOND, pairs), strict=True))
        if len(result) != len(pairs):
            self.suspicious = True
        return result

    def _constant(self, name: str) -> float:
        self.suspicious = True
        return float(name)


_DECODERS = threading.local()


def _decoder() -> _Decoder:
    """One decoder per thread: a decoder and its scanner refer to each other, so each new
    one would be garbage that only the cycle collector frees (a run disables it, see
    `engine.Linter.run`). Each load resets ``suspicious``."""
    decoder: _Decoder | None = getattr(_DECODERS, "decoder", None)
    if decoder is None:
        decoder = _DECODERS.decoder = _Decoder()
    return decoder


def read_text(path: Path, relpath: str, root: Path | None) -> Document:
    """Read a file as UTF-8 text; problems become issues on the returned document."""
    doc = Document(path=path, relpath=relpath)
    raw = _read_bytes(doc, root)
    if raw is None:
        return doc
    if raw.startswith(_UTF16_32_BOMS):
        doc.issue("F002", "file is UTF-16 or UTF-32 encoded; the format is UTF-8", line=1, column=1)
        return doc
    if _looks_utf16_32(raw):
        doc.issue("F002", "file looks UTF-16 or UTF-32 encoded (NUL bytes between the "
                  "characters, no byte order mark); the format is UTF-8", line=1, column=1)
        return doc
    if raw.startswith(codecs.BOM_UTF8):
        doc.issue("F002", "file starts with a UTF-8 byte order mark; JSON forbids it",
                  line=1, column=1)
        raw = raw[3:]
    try:
        doc.text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        doc.issue("F002", f"invalid UTF-8 byte 0x{raw[exc.start]:02x}", line=line, column=column)
    return doc


def _looks_utf16_32(raw: bytes) -> bool:
    """RFC 4627's test: JSON text starts with two ASCII characters, so UTF-16 and UTF-32 put
    NUL bytes among its first four (UTF-8 text of the format never holds a NUL byte)."""
    head = raw[:4]
    if len(head) < 2 or b"\0" not in head or head == b"\0" * len(head):
        return False
    return (head[0] == 0) != (head[1] == 0) or head[1:4] == b"\0\0\0"


def _read_bytes(doc: Document, root: Path | None) -> bytes | None:
    """The file's bytes, or None with an F009 issue. The file is opened without blocking
    (a FIFO in its place must not hang the lint) and checked on the open descriptor."""
    if root is not None and not is_inside(doc.path, root):
        doc.issue("F009", "symbolic link points outside the repository; not read "
                  f"(it leads to {os.path.realpath(doc.path)})")
        return None
    try:
        fd = os.open(doc.path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        doc.issue("F009", f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        problem = _not_a_readable_file(os.fstat(fd))
        if problem:
            doc.issue("F009", problem)
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        doc.issue("F009", f"cannot read file: {exc.strerror or exc}")
        return None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:  # it grew after the size check
        doc.issue("F009", _too_large(len(data)))
        return None
    return data


def _not_a_readable_file(info: os.stat_result) -> str:
    if stat.S_ISDIR(info.st_mode):
        return "expected a file but found a folder"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a device, FIFO or socket); not read"
    if info.st_size > MAX_FILE_BYTES:
        return _too_large(info.st_size)
    return ""


def _too_large(size: int) -> str:
    return (f"file is {size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB "
            "limit; not read")


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path``, with every symbolic link on the way followed, stays below ``root``.
    A link loop does not raise: it stays unresolved and fails later, when opened."""
    real = os.path.realpath(path)
    base = _real_root(str(root))
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


@functools.lru_cache(maxsize=64)
def _real_root(root: str) -> str:
    return os.path.realpath(root)


def load_meta(path: Path, relpath: str, root: Path | None) -> Document:
    """Load a meta (`_cm.json`, `_cm.yaml`, `cmr.yaml`, `cmr.json`) by its suffix."""
    if path.suffix == ".yaml":
        return load_yaml(path, relpath, root)
    return load_json(path, relpath, root, rows=False)


def load_json(path: Path, relpath: str, root: Path | None, *, rows: bool) -> Document:
    """Load a JSON file. With ``rows``, the file must hold an array; element offsets are kept."""
    doc = read_text(path, relpath, root)
    if doc.text is None:
        return doc
    if not doc.text.strip():
        doc.issue("F001", "file is empty; expected JSON", line=1, column=1)
        return doc
    decoder = _decoder()
    decoder.suspicious = False
    suspicious_rows: list[int] | None = None
    try:
        if rows and doc.text.lstrip().startswith("["):
            doc.data, doc.element_offsets, suspicious_rows = _decode_rows(decoder, doc.text)
        else:
            doc.data = _decode_whole(decoder, doc.text)
    except json.JSONDecodeError as exc:
        doc.issue("F001", f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno)
        return doc
    except RecursionError:
        doc.issue("F001", "JSON nesting is too deep to read", line=1, column=1)
        return doc
    except ValueError as exc:  # integer literals longer than Python's digit limit
        if not _report_anomalies(doc):
            doc.issue("F004", f"number cannot be read: {exc}", line=1, column=1)
        return doc
    doc.ok = True
    if decoder.suspicious:
        _report_anomalies(doc, suspicious_rows)
    if rows and not isinstance(doc.data, list):
        doc.issue("F005", f"a result file holds a JSON array of rows, found {_kind(doc.data)}")
    return doc


def _decode_whole(decoder: _Decoder, text: str) -> Any:
    start = _WS.match(text, 0)
    value, end = decoder.raw_decode(text, start.end() if start else 0)
    tail = _WS.match(text, end)
    if tail is not None and tail.end() != len(text):
        raise json.JSONDecodeError("extra data after the JSON value", text, tail.end())
    return value


def _decode_rows(decoder: _Decoder, text: str) -> tuple[list[Any], list[int], list[int]]:
    """The rows, the offset of each, and the indexes of the rows the decoder found suspicious
    (only those are scanned again, token by token)."""
    rows: list[Any] = []
    offsets: list[int] = []
    suspicious: list[int] = []
    pos = text.index("[") + 1
    pos = _ws(text, pos)
    if pos < len(text) and text[pos] == "]":
        return rows, offsets, suspicious
    while True:
        offsets.append(pos)
        before, decoder.suspicious = decoder.suspicious, False
        value, pos = decoder.raw_decode(text, pos)
        if decoder.suspicious:
            suspicious.append(len(rows))
        decoder.suspicious = decoder.suspicious or before
        rows.append(value)
        pos = _ws(text, pos)
        if pos >= len(text):
            raise json.JSONDecodeError("unterminated array: expected ',' or ']'", text, pos)
        if text[pos] == "]":
            break
        if text[pos] != ",":
            raise json.JSONDecodeError("expected ',' or ']' after a row", text, pos)
        pos = _ws(text, pos + 1)
    end = _ws(text, pos + 1)
    if end != len(text):
        raise json.JSONDecodeError("extra data after the array", text, end)
    return rows, offsets, suspicious


def _ws(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _report_anomalies(doc: Document, rows: list[int] | None = None) -> int:
    """Report what the decoder let through (or choked on), in the given rows of a result file
    or else in the whole text; the number of issues."""
    assert doc.text is not None
    index = PositionIndex(doc.text, doc.element_offsets)
    offsets = doc.element_offsets
    found: Iterator[Anomaly]
    if rows is not None and offsets is not None:
        found = itertools.chain.from_iterable(
            scan_anomalies(doc.text, offsets[row], (row,)) for row in rows)
    else:
        found = scan_anomalies(doc.text)
    count = 0
    for anomaly in found:
        count += 1
        line, column = index.line_col(anomaly.offset)
        if anomaly.kind == "duplicate-key":
            doc.issue("F003", f"duplicate key {anomaly.text}; readers keep only the last value",
                      anomaly.parts, line, column)
        else:
            number = anomaly.text if len(anomaly.text) <= 40 else (
                f"{anomaly.text[:20]}... ({len(anomaly.text)} characters)")
            doc.issue("F004", f"number {number} is not finite; JSON has no NaN or "
                      "Infinity and a float cannot hold it", anomaly.parts, line, column)
    return count


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             type(None): "null", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def load_yaml(path: Path, relpath: str, root: Path | None) -> Document:
    """Load a YAML file with ruamel.yaml's round-trip loader, keeping line and column info."""
    doc = read_text(path, relpath, root)
    if doc.text is None:
        return doc
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    depth = _yaml_depth(doc.text)
    if depth > MAX_YAML_DEPTH:
        doc.issue("F001", f"invalid YAML: nesting is too deep to read ({depth} levels, over "
                  f"the limit of {MAX_YAML_DEPTH})", line=1, column=1)
        return doc
    try:
        doc.data = yaml.load(doc.text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        code = "F003" if "duplicate key" in str(exc.problem or "") else "F001"
        doc.issue(code, f"invalid YAML: {exc.problem or exc}", line=line, column=column)
        return doc
    except (YAMLError, RecursionError, ValueError) as exc:
        doc.issue("F001", f"invalid YAML: {exc}", line=1, column=1)
        return doc
    problem = _yaml_alias_problem(doc.data)
    if problem:
        doc.data = None
        doc.issue("F001", f"invalid YAML: {problem}", line=1, column=1)
        return doc
    doc.yaml_root = doc.data
    doc.ok = True
    return doc


MAX_YAML_VALUES = 100_000
# ruamel.yaml parses nesting recursively, slowly, and fails past a few hundred levels.
MAX_YAML_DEPTH = 100
_YAML_QUOTED = re.compile(r""""(?:[^"\\]|\\.)*"|'[^']*'|#[^\n]*""")
_YAML_BRACKETS = re.compile(r"[\[\]{}]")
_YAML_INDENT = re.compile(r"^[ -]*", re.M)


def _yaml_depth(text: str) -> int:
    """A cheap upper estimate of a YAML text's nesting: its deepest flow brackets (quoted
    text and comments left out), or its deepest indentation at one column a level."""
    bare = _YAML_QUOTED.sub("", text)
    depth = deepest = 0
    for match in _YAML_BRACKETS.finditer(bare):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    indent = max((len(m.group()) for m in _YAML_INDENT.finditer(bare)), default=0)
    return max(deepest, indent // 2)
_IN_PROGRESS = -1


def _yaml_alias_problem(data: Any) -> str:
    """Aliases let a few lines of YAML stand for billions of values (a "billion laughs") or
    for a value that contains itself; every later step (a schema message, a comparison) would
    expand them. Such a document is refused."""
    try:
        size = _expanded_size(data, {})
    except _AliasCycle:
        return "an alias refers to a value that contains it"
    except RecursionError:
        return "nesting is too deep to read"
    if size > MAX_YAML_VALUES:
        return (f"aliases expand to {size:,} values, over the limit of {MAX_YAML_VALUES:,} "
                "(an alias bomb?)")
    return ""


class _AliasCycle(Exception):
    pass


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """The number of values in ``node`` with every alias expanded; shared nodes are counted
    once per reference, but walked once."""
    if isinstance(node, dict):
        children: Any = [*node.keys(), *node.values()]
    elif isinstance(node, list):
        children = node
    else:
        return 1
    known = memo.get(id(node))
    if known == _IN_PROGRESS:
        raise _AliasCycle
    if known is not None:
        return known
    memo[id(node)] = _IN_PROGRESS
    total = 1 + sum(_expanded_size(child, memo) for child in children)
    memo[id(node)] = total
    return total


def _locate_yaml(node: Any, parts: tuple[str | int, ...], at_key: bool) -> tuple[int, int]:
    line, column = 1, 1
    for i, part in enumerate(parts):
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        last = i == len(parts) - 1
        try:
            if isinstance(node, list):
                line, column = lc.item(int(part))
                node = node[int(part)]
            else:
                line, column = lc.key(part) if (last and at_key) else lc.value(part)
                node = node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            break
        line, column = line + 1, column + 1
    return line, column


def relative_posix(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return os.path.relpath(path, root).replace(os.sep, "/")
