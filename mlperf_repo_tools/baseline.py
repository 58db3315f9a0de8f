"""Baselines: adopt the linter on a repository that already has thousands of findings.

``--write-baseline FILE`` records today's findings; ``--baseline FILE`` then reports only the
findings it does not hold. A finding is recognised by its fingerprint: the rule, the file, the
identity of the result row it is in, the field (its JSON pointer without array indexes), a
digest of the offending value and the message with row numbers taken out. Line numbers and
row indexes are not part of it, so inserting, moving or deleting other rows keeps every entry
valid. A finding that involves other rows (a duplicate, a pair that disagrees) is recognised by
the set of rows involved instead of its message, since which row of the set it is reported at
depends on their order.

A row's identity is its ``uid``. Where one file holds rows of different content under the
same uid, the uid is not enough and the row's identity key (``consistency.row_identity``:
version, Location and scenario for inference, the naming fields for tiny and training) is
added. Exact copies of a row share one fingerprint; the baseline counts them.

Entries that match nothing any more are stale (their problem was fixed); they are reported,
and giving the same file to ``--baseline`` and ``--write-baseline`` drops them without adding
the new findings, so a baseline only shrinks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlperf_repo_tools import __version__
from mlperf_repo_tools.alias import parse_alias
from mlperf_repo_tools.consistency import row_identity
from mlperf_repo_tools.findings import Finding, parts_from_pointer, pointer_from_parts
from mlperf_repo_tools.loading import Document

FORMAT_VERSION = 1
RESULT_FILE = "cm-result.json"
_NUMBERED = re.compile(r"\b(rows?|lines?|columns?|index|indexes) \d+")
_MISSING = object()

Fingerprint = tuple[str, str, str, str, str, str]


class BaselineError(ValueError):
    """The baseline file cannot be read; the message names it."""


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class FingerprintReader:
    """Reads, while the documents are loaded, what a fingerprint needs from them: the row
    identity and the digest of the value a finding points at."""

    def __init__(self) -> None:
        self._shared_uids: dict[str, set[str]] = {}
        self._families: dict[str, str | None] = {}

    def read(self, doc: Document | None, parts: tuple[Any, ...]) -> tuple[str, str]:
        if doc is None or not doc.ok or not parts:
            return "", ""
        rows = isinstance(doc.data, list) and doc.relpath.endswith(RESULT_FILE)
        identity = ""
        value = doc.data
        for depth, part in enumerate(parts):
            if depth == 0 and rows and isinstance(part, int):
                identity = self._row_identity(doc, value[part] if part < len(value) else None)
            value = _child(value, part)
            if value is _MISSING:
                break
        if rows and len(parts) == 1:  # a whole row: its identity says which one
            return identity, ""
        return identity, "" if value is _MISSING else _digest(value)

    def related_rows(self, places: list[tuple[Document | None, tuple[Any, ...]]]) -> list[str]:
        """The identities of the rows among a finding's other places."""
        identities = []
        for doc, parts in places:
            if doc is not None and doc.ok and parts and isinstance(parts[0], int) \
                    and isinstance(doc.data, list) and doc.relpath.endswith(RESULT_FILE):
                row = doc.data[parts[0]] if parts[0] < len(doc.data) else None
                identities.append(self._row_identity(doc, row))
        return identities

    def _row_identity(self, doc: Document, row: Any) -> str:
        if not isinstance(row, dict):
            return ""
        uid = row.get("uid")
        if isinstance(uid, str) and uid not in self._uids_of_different_rows(doc):
            return uid
        family = self._family(doc.relpath)
        key = json.dumps(row_identity(row, family), default=str)
        return f"{uid if isinstance(uid, str) else ''} {key}"

    def _uids_of_different_rows(self, doc: Document) -> set[str]:
        shared = self._shared_uids.get(doc.relpath)
        if shared is None:
            counts = Counter(r.get("uid") for r in doc.data if isinstance(r, dict))
            contents: dict[str, set[str]] = defaultdict(set)
            for row in doc.data:
                uid = row.get("uid") if isinstance(row, dict) else None
                if isinstance(uid, str) and counts[uid] > 1:
                    contents[uid].add(_digest(row))
            shared = self._shared_uids[doc.relpath] = {
                uid for uid, digests in contents.items() if len(digests) > 1}
        return shared

    def _family(self, relpath: str) -> str | None:
        segments = relpath.split("/")
        alias = segments[-3] if len(segments) >= 3 else ""
        if alias not in self._families:
            self._families[alias] = parse_alias(alias).family
        return self._families[alias]


def _child(value: Any, part: Any) -> Any:
    if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
        return value[part]
    if isinstance(value, dict) and part in value:
        return value[part]
    return _MISSING


def fingerprint(finding: Finding) -> Fingerprint:
    parts: list[str | int] = list(parts_from_pointer(finding.location.pointer))
    if finding.row_identity and parts:
        parts = parts[1:]  # the row's index: the identity names the row instead
    field = pointer_from_parts(["*" if p.isdigit() else p for p in map(str, parts)])
    row = finding.row_identity
    message = _NUMBERED.sub(lambda m: f"{m.group(1)} #", finding.message)
    if finding.related_rows:
        # Which row of a pair or group a rule reports at, and the order its message names
        # them in, follow the order of the rows; the set of rows involved does not.
        row = " & ".join(sorted([row, *finding.related_rows]))
        message = ""
    return (finding.code, finding.location.path, row, field, finding.content_digest, message)


@dataclass
class BaselineEntry:
    fingerprint: Fingerprint
    count: int

    @property
    def code(self) -> str:
        return self.fingerprint[0]

    @property
    def path(self) -> str:
        return self.fingerprint[1]

    @property
    def message(self) -> str:
        return self.fingerprint[5]


@dataclass
class BaselineOutcome:
    new: list[Finding]
    known: list[Finding]
    stale: list[BaselineEntry]


_ENTRY_KEYS = ("code", "path", "row", "field", "content", "message")


def write_baseline(path: Path, findings: list[Finding]) -> int:
    """Record the findings' fingerprints; returns the number of entries written."""
    counts = Counter(fingerprint(f) for f in findings)
    entries = [{**dict(zip(_ENTRY_KEYS, key, strict=True)), "count": n}
               for key, n in sorted(counts.items())]
    # One entry a line: compact, and a shrinking baseline reads well in a diff.
    head = json.dumps({"format": FORMAT_VERSION, "tool": f"mlperf-repo-lint {__version__}",
                       "findings": sum(counts.values())})[:-1]
    body = ",\n".join(json.dumps(entry) for entry in entries)
    path.write_text(f'{head}, "entries": [\n{body}\n]}}\n', encoding="utf-8")
    return len(entries)


def read_baseline(path: Path) -> list[BaselineEntry]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a baseline file (not JSON: {exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT_VERSION:
        raise BaselineError(f"{path}: not a baseline file of format {FORMAT_VERSION}")
    try:
        return [BaselineEntry(tuple(str(e[k]) for k in _ENTRY_KEYS),  # type: ignore[arg-type]
                              int(e["count"])) for e in document["entries"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise BaselineError(f"{path}: malformed baseline entry ({exc})") from exc


def compare(entries: list[BaselineEntry], findings: list[Finding],
            covers: Callable[[str], bool]) -> BaselineOutcome:
    """Split the findings into new ones and known ones. Entries left unmatched in paths the
    run ``covers`` are stale; a partial run says nothing about the other entries."""
    remaining: Counter[Fingerprint] = Counter()
    for entry in entries:
        remaining[entry.fingerprint] += entry.count
    new, known = [], []
    for finding in findings:
        key = fingerprint(finding)
        if remaining[key] > 0:
            remaining[key] -= 1
            known.append(finding)
        else:
            new.append(finding)
    stale = [BaselineEntry(key, n) for key, n in sorted(remaining.items())
             if n > 0 and covers(key[1].rstrip("/"))]
    return BaselineOutcome(new, known, stale)
