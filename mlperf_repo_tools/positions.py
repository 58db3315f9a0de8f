"""Map JSON pointers to line and column in JSON text.

Parsing itself uses the standard library's C decoder, which records no positions. Positions are
computed afterwards, only for the values that findings point at: the walk below skips every
value it does not need with the same C decoder, so locating one row field in a large file costs
about as much as decoding that one row.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_TOKEN = re.compile(
    r"""[ \t\n\r]*(?:
        (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<num>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
      | (?P<lit>true|false|null|NaN|-?Infinity)
      | (?P<punct>[{}\[\],:])
    )""",
    re.S | re.X,
)
_DECODER = json.JSONDecoder()


class PositionIndex:
    """Line/column lookups and pointer resolution over one JSON text."""

    def __init__(self, text: str, element_offsets: Sequence[int] | None = None) -> None:
        self.text = text
        self._element_offsets = element_offsets
        # Offsets whose line is known, in order, and their lines: a new offset's line is
        # counted from the nearest known one before it (findings come in about row order, so
        # each count is short, and nothing is done for the lines no finding is on).
        self._known_offsets = [0]
        self._known_lines = [1]

    def line_col(self, offset: int) -> tuple[int, int]:
        text = self.text
        offset = max(0, min(offset, len(text)))
        known = bisect.bisect_right(self._known_offsets, offset) - 1
        base = self._known_offsets[known]
        line = self._known_lines[known] + text.count("\n", base, offset)
        if base != offset:
            self._known_offsets.insert(known + 1, offset)
            self._known_lines.insert(known + 1, line)
        return line, offset - text.rfind("\n", 0, offset)

    def _skip_value(self, pos: int) -> int:
        return _DECODER.raw_decode(self.text, pos)[1]

    def _ws(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        return match.end() if match else pos

    def _enter_array(self, pos: int, index: int) -> int | None:
        text = self.text
        pos = self._ws(pos + 1)
        for _ in range(index):
            if text[pos] == "]":
                return None
            pos = self._ws(self._skip_value(pos))
            if text[pos] != ",":
                return None
            pos = self._ws(pos + 1)
        return None if text[pos] == "]" else pos

    def _enter_object(self, pos: int, key: str) -> tuple[int, int] | None:
        text = self.text
        pos = self._ws(pos + 1)
        found = None
        while text[pos] != "}":
            match = _STRING.match(text, pos)
            if match is None:
                return found
            value_pos = self._ws(self._ws(match.end()) + 1)
            if _key_text(match.group()) == key:
                found = (pos, value_pos)  # the last duplicate wins, as in the decoded data
            pos = self._ws(self._skip_value(value_pos))
            if text[pos] == ",":
                pos = self._ws(pos + 1)
        return found

    def offset_of(self, parts: Sequence[str | int], at_key: bool = False,
                  flat_row: bool = False) -> int | None:
        """Offset of the value (or of its key) that ``parts`` point to, or None. ``flat_row``
        says the top-level element ``parts[0]`` is an object with no nested values."""
        try:
            if flat_row and len(parts) == 2:
                found = self._flat_row_key(int(parts[0]), str(parts[1]))
                if found is not None:
                    return found[0] if at_key else found[1]
            return self._offset_of(parts, at_key)
        except (IndexError, ValueError, RecursionError):
            return None

    def _flat_row_key(self, index: int, key: str) -> tuple[int, int] | None:
        """Find a key of a flat row by text search. In an object whose values are all scalars,
        every unescaped quote opens or closes a depth-1 string, so an encoded key preceded by
        '{' or ',' and followed by ':' is that key; the last one wins, as in the decoded row."""
        offsets = self._element_offsets
        if offsets is None or index >= len(offsets):
            return None
        start = offsets[index]
        end = offsets[index + 1] if index + 1 < len(offsets) else len(self.text)
        text = self.text
        for token in _key_tokens(key):
            pos = text.rfind(token, start, end)
            while pos >= 0:
                before = pos - 1
                while before >= start and text[before] in " \t\n\r":
                    before -= 1
                after = self._ws(pos + len(token))
                if before >= start and text[before] in "{," and text[after] == ":":
                    return pos, self._ws(after + 1)
                pos = text.rfind(token, start, pos)
        return None

    def _offset_of(self, parts: Sequence[str | int], at_key: bool) -> int | None:
        text = self.text
        pos = self._ws(0)
        rest = list(parts)
        offsets = self._element_offsets
        if offsets is not None and rest and _is_index(rest[0]) and int(rest[0]) < len(offsets):
            pos = offsets[int(rest.pop(0))]
        key_pos = pos
        for part in rest:
            if text[pos] == "[" and _is_index(part):
                found = self._enter_array(pos, int(part))
                if found is None:
                    return pos
                key_pos = pos = found
            elif text[pos] == "{":
                pair = self._enter_object(pos, str(part))
                if pair is None:
                    return pos
                key_pos, pos = pair
            else:
                return pos
        return key_pos if at_key else pos

    def locate(self, parts: Sequence[str | int], at_key: bool = False,
               flat_row: bool = False) -> tuple[int, int]:
        offset = self.offset_of(parts, at_key, flat_row)
        return self.line_col(offset if offset is not None else self._ws(0))


@functools.lru_cache(maxsize=1024)
def _key_tokens(key: str) -> tuple[str, ...]:
    """The ways a key is written in JSON: escaped to ASCII, and not."""
    return tuple(dict.fromkeys((json.dumps(key), json.dumps(key, ensure_ascii=False))))


def _key_text(token: str) -> str:
    return json.loads(token) if "\\" in token else token[1:-1]


def _is_index(part: str | int) -> bool:
    return isinstance(part, int) or (isinstance(part, str) and part.isdigit())


@dataclass(frozen=True)
class Anomaly:
    """A value or key the C decoder accepts but the format forbids."""

    kind: str  # "duplicate-key" | "non-finite"
    parts: tuple[str | int, ...]
    offset: int
    text: str


def scan_anomalies(text: str, start: int = 0,
                   base: tuple[str | int, ...] = ()) -> Iterator[Anomaly]:
    """Walk every token of the valid JSON value at ``start`` (whose pointer is ``base``) and
    yield duplicate keys and numbers that are not finite (NaN, Infinity, or literals too large
    for a float). Iterative, so any depth works."""
    stack: list[list] = []  # [kind, seen keys or None, current key or index, expecting key]
    pos = start
    while True:
        match = _TOKEN.match(text, pos)
        if match is None:
            return
        pos = match.end()
        kind = match.lastgroup or "punct"
        token = match.group(kind)
        if kind == "punct":
            _punct(stack, token)
            if not stack:
                return
            continue
        top = stack[-1] if stack else None
        if top is not None and top[0] == "obj" and top[3]:
            key = _key_text(token)
            if key in top[1]:
                yield Anomaly("duplicate-key", (*base, *_path(stack[:-1]), key),
                              match.start(kind), token)
            top[1].add(key)
            top[2] = key
            top[3] = False
            continue
        non_finite = kind == "lit" and token in ("NaN", "Infinity", "-Infinity")
        if non_finite or (kind == "num" and not math.isfinite(float(token))):
            yield Anomaly("non-finite", (*base, *_path(stack)), match.start(kind), token)
        if not stack:
            return


def _punct(stack: list[list], token: str) -> None:
    if token == "{":
        stack.append(["obj", set(), None, True])
    elif token == "[":
        stack.append(["arr", None, 0, False])
    elif token in "}]":
        if stack:
            stack.pop()
    elif token == "," and stack:
        top = stack[-1]
        if top[0] == "arr":
            top[2] += 1
        else:
            top[3] = True


def _path(stack: list[list]) -> tuple[str | int, ...]:
    return tuple(frame[2] for frame in stack)
