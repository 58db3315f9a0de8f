"""What a check reports: a finding, located at a file, a line, a column and a JSON pointer."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


def pointer_from_parts(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """Build an RFC 6901 JSON pointer from keys and indexes."""
    out = []
    for part in parts:
        text = str(part)
        out.append("/" + text.replace("~", "~0").replace("/", "~1"))
    return "".join(out)


def parts_from_pointer(pointer: str) -> list[str]:
    """Split an RFC 6901 JSON pointer into its unescaped reference tokens."""
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


@dataclass(frozen=True)
class Location:
    """A place in the repository. ``line`` and ``column`` are 1-based; 0 means unknown
    (a folder, or a file that could not be read)."""

    path: str
    line: int = 0
    column: int = 0
    pointer: str = ""


@dataclass
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    related: list[tuple[Location, str]] = field(default_factory=list)
    # What a baseline recognises the finding by, filled in only when one is read or written:
    # the identity of the row it is in ('' outside result rows) and a digest of the value.
    row_identity: str = ""
    content_digest: str = ""
    related_rows: list[str] = field(default_factory=list)  # identities of the related rows

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code)


@dataclass
class Problem:
    """What a rule function yields: a pointer relative to the thing it checked, a message,
    and optionally other places involved. The engine turns it into a located Finding."""

    parts: tuple[str | int, ...]
    message: str
    at_key: bool = False
    path: str | None = None  # report at this repository-relative path instead (a folder)
    related: list[tuple[str, tuple[Any, ...], str]] = field(default_factory=list)
