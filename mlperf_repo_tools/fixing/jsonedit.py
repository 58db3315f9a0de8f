"""Minimal rewrites of JSON text: a changed value, an added or removed key, a removed array
element, each spliced into the original text so everything untouched keeps its bytes.

A file is rebuilt from the raw text of its parts: members and elements that did not change are
copied verbatim (number literals, escapes and spacing included); only what changed is
serialized, in the file's own style (indent unit, separators, ASCII escaping). The result is
checked by parsing it again: it must hold exactly the intended data, or nothing is written.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from mlperf_repo_tools.consistency import canonical_json

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class EditError(Exception):
    """The text cannot be edited safely (unexpected structure, or the result would differ)."""


@dataclass(frozen=True)
class Member:
    key: str
    start: int  # the opening quote of the key
    value_start: int
    end: int  # just after the value


@dataclass(frozen=True)
class Style:
    indent: str | None  # one level of indentation, None for single-line JSON
    item_separator: str  # ',' or ', ' (single-line only)
    key_separator: str  # ': ' or ':'
    ensure_ascii: bool
    sorted_keys: bool
    newline: str = "\n"

    def dumps(self, value: Any, level: int) -> str:
        """``value`` serialized as it would sit at nesting ``level`` of this file."""
        text = self._dumps(value, self.ensure_ascii)
        if not self.ensure_ascii and _unencodable(text):
            text = self._dumps(value, True)  # a lone surrogate can only be written escaped
        if self.indent is None:
            return text
        return text.replace("\n", self.newline + self.indent * level)

    def _dumps(self, value: Any, ensure_ascii: bool) -> str:
        if self.indent is None:
            return json.dumps(value, ensure_ascii=ensure_ascii,
                              separators=(self.item_separator, self.key_separator))
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=self.indent,
                          separators=(",", self.key_separator), sort_keys=self.sorted_keys)


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _ws(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _value_end(text: str, pos: int) -> int:
    try:
        return _DECODER.raw_decode(text, pos)[1]
    except json.JSONDecodeError as exc:
        raise EditError(f"cannot read the value at offset {pos}: {exc.msg}") from exc


def object_members(text: str, start: int) -> tuple[list[Member], int]:
    """The members of the object whose '{' is at ``start``, and the offset after its '}'."""
    if text[start] != "{":
        raise EditError(f"expected an object at offset {start}")
    members: list[Member] = []
    pos = _ws(text, start + 1)
    if text[pos] == "}":
        return members, pos + 1
    while True:
        if text[pos] != '"':
            raise EditError(f"expected a key at offset {pos}")
        key, after_key = scanstring(text, pos + 1)
        colon = _ws(text, after_key)
        if text[colon] != ":":
            raise EditError(f"expected ':' at offset {colon}")
        value_start = _ws(text, colon + 1)
        end = _value_end(text, value_start)
        members.append(Member(key, pos, value_start, end))
        pos, closed = _after_item(text, end, "}")
        if closed:
            return members, pos


def array_elements(text: str, start: int) -> tuple[list[tuple[int, int]], int]:
    """(start, end) of each element of the array whose '[' is at ``start``, and the offset
    after its ']'."""
    if text[start] != "[":
        raise EditError(f"expected an array at offset {start}")
    spans: list[tuple[int, int]] = []
    pos = _ws(text, start + 1)
    if text[pos] == "]":
        return spans, pos + 1
    while True:
        end = _value_end(text, pos)
        spans.append((pos, end))
        pos, closed = _after_item(text, end, "]")
        if closed:
            return spans, pos


def _after_item(text: str, end: int, closer: str) -> tuple[int, bool]:
    """After an item of a container that ends at ``end``: the offset past the closer (True),
    or the start of the next item (False)."""
    pos = _ws(text, end)
    if text[pos] == closer:
        return pos + 1, True
    if text[pos] != ",":
        raise EditError(f"expected ',' or '{closer}' at offset {pos}")
    return _ws(text, pos + 1), False


def _line_indent(text: str, pos: int) -> str:
    """The whitespace between the last newline before ``pos`` and ``pos``."""
    line_start = text.rfind("\n", 0, pos) + 1
    prefix = text[line_start:pos]
    return prefix if not prefix.strip() else ""


def detect_style(text: str, sample_object: int | None, level: int, sorted_keys: bool) -> Style:
    """The style of a file, read from one of its objects (at nesting ``level``)."""
    ensure_ascii = text.isascii()
    indent: str | None = None
    item_sep, key_sep = ", ", ": "
    if sample_object is not None:
        members, _ = object_members(text, sample_object)
        if members:
            first = members[0]
            between = text[sample_object + 1:first.start]
            gap = text[_key_end(text, first.start):first.value_start]
            key_sep = gap.lstrip(" \t") if "\n" not in gap else ": "
            if "\n" in between:
                member_indent = _line_indent(text, first.start)
                unit_len = len(member_indent) // (level + 1) if member_indent else 0
                indent = member_indent[:unit_len] if unit_len else "  "
            elif len(members) > 1:
                gap = text[members[0].end:members[1].start]
                item_sep = gap if gap.strip() == "," else ", "
    return Style(indent, item_sep if indent is None else ",", key_sep or ": ", ensure_ascii,
                 sorted_keys, "\r\n" if "\r\n" in text else "\n")


def _key_end(text: str, key_start: int) -> int:
    return int(scanstring(text, key_start + 1)[1])


def rebuild_object(text: str, start: int, old: dict[str, Any], new: dict[str, Any],
                   style: Style, level: int) -> str:
    """The text of the object at ``start`` (holding ``old``) changed to hold ``new``.

    Unchanged members keep their exact text and order; removed ones go; changed values are
    re-serialized in place; new keys go to their sorted place in a sorted object, else at the
    end.
    """
    members, end = object_members(text, start)
    if [m.key for m in members] != list(old):
        raise EditError(f"object at offset {start} does not hold the expected keys")
    if not members:
        return style.dumps(new, level)
    head = text[start + 1:members[0].start]  # '{' .. first key: the member indentation
    tail = text[members[-1].end:end - 1]  # last value .. '}'
    separators = [text[a.end:b.start] for a, b in itertools.pairwise(members)]
    separator = separators[0] if separators else ("," + head if "\n" in head else ", ")
    pieces: list[tuple[str, str]] = []
    for member in members:
        if member.key not in new:
            continue
        if same_json(new[member.key], old[member.key]):
            pieces.append((member.key, text[member.start:member.end]))
        else:
            raw_key = text[member.start:member.value_start]
            pieces.append((member.key, raw_key + style.dumps(new[member.key], level + 1)))
    added = [k for k in new if k not in old]
    for key in added:
        piece = (key, style.dumps(key, level + 1) + style.key_separator
                 + style.dumps(new[key], level + 1))
        if style.sorted_keys:
            position = next((i for i, (k, _) in enumerate(pieces) if k > key), len(pieces))
            pieces.insert(position, piece)
        else:
            pieces.append(piece)
    if not pieces:
        return "{}"
    return "{" + head + separator.join(p for _, p in pieces) + tail + "}"


def same_json(a: Any, b: Any) -> bool:
    """Whether two JSON values are equal as their JSON text says, key order aside: 1, 1.0 and
    true differ, so do 0.0 and -0.0; two NaNs are equal (as `consistency.content_key`)."""
    try:
        return _same(a, b)
    except RecursionError:  # deeper than Python's stack allows: the C encoder goes deeper
        return canonical_json(a) == canonical_json(b)


def _same(a: Any, b: Any) -> bool:
    # Loops, not all() over a generator: one stack frame per level of nesting, not two.
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        if len(a) != len(b):
            return False
        for key, value in a.items():  # noqa: SIM110
            if key not in b or not _same(value, b[key]):
                return False
        return True
    if kind is list:
        if len(a) != len(b):
            return False
        for left, right in zip(a, b, strict=True):  # noqa: SIM110
            if not _same(left, right):
                return False
        return True
    if kind is float:
        return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (
            a != a and b != b)
    return bool(a == b)


def rebuild_array(text: str, start: int, elements: list[tuple[int | None, str | None]]
                  ) -> tuple[str, int]:
    """The text of the array at ``start`` rebuilt from ``elements`` ((original index, None)
    keeps that element's text, (None or index, text) puts the given text), and the offset
    just after the original array."""
    spans, end = array_elements(text, start)
    if not elements:
        return "[]", end
    if not spans:
        raise EditError("cannot add elements to an empty array")
    head = text[start + 1:spans[0][0]]
    tail = text[spans[-1][1]:end - 1]
    separator = text[spans[0][1]:spans[1][0]] if len(spans) > 1 else "," + head
    parts = []
    for index, replacement in elements:
        if replacement is not None:
            parts.append(replacement)
        elif index is not None:
            parts.append(text[spans[index][0]:spans[index][1]])
        else:
            raise EditError("an element needs an index or a text")
    return "[" + head + separator.join(parts) + tail + "]", end


def check_same(text: str, expected: Any, what: str) -> None:
    """Fail unless ``text`` parses to exactly ``expected`` (types included)."""
    try:
        parsed = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        raise EditError(f"{what}: the rewritten text is not valid JSON ({exc})") from exc
    if not same_json(parsed, expected):
        raise EditError(f"{what}: the rewritten text does not hold the intended data")
    if _unencodable(text):
        raise EditError(f"{what}: the rewritten text cannot be written as UTF-8")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
