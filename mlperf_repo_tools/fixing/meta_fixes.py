"""Fixes of experiment metas: tags by the repository's convention (M007, M008, M009).

The convention's tags come first, in order; any other tag the meta carries is kept after them
(once), since only a person can say whether it is a typo or a deliberate extra tag. A JSON
meta is edited in place; a YAML meta is rewritten through ruamel.yaml's round trip, which
keeps its comments and layout.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from mlperf_repo_tools.alias import expected_tags, parse_alias
from mlperf_repo_tools.fixing.jsonedit import (
    check_same,
    detect_style,
    object_members,
    rebuild_object,
)
from mlperf_repo_tools.loading import Document

TAG_CODES = ("M007", "M008", "M009")


@dataclass
class MetaEdit:
    document: Document
    new_text: str
    codes: list[str]


def canonical_tags(alias_text: str, tags: list[Any], former_alias: str | None = None
                   ) -> list[Any] | None:
    """The tags a meta should carry, or None when its alias cannot be read. Other tags are
    kept after the convention's, once each, whatever their type; parts of a ``former_alias``
    (the misspelt one of a renamed experiment) are dropped."""
    expected = expected_tags(parse_alias(alias_text))
    if expected is None:
        return None
    former = set(former_alias.split("--")) if former_alias else set()
    seen = {_tag_key(t) for t in expected} | {_tag_key(t) for t in former}
    extra = []
    for tag in tags:
        key = _tag_key(tag)
        if key not in seen:
            seen.add(key)
            extra.append(tag)
    return [*expected, *extra]


def _tag_key(tag: Any) -> str:
    """Tags compare as their JSON text: 1, 1.0 and true are three different tags."""
    return json.dumps(tag, sort_keys=True, default=str)


def _tag_codes(old: list[Any], new: list[Any]) -> list[str]:
    old_keys, new_keys = [_tag_key(t) for t in old], [_tag_key(t) for t in new]
    codes = []
    if any(t not in old_keys for t in new_keys):
        codes.append("M007")
    if len(old_keys) != len(set(old_keys)):
        codes.append("M008")
    if [t for t in dict.fromkeys(old_keys) if t in new_keys] != \
            [t for t in new_keys if t in old_keys]:
        codes.append("M009")
    return codes or ["M009"]


def fix_meta(documents: list[Document], folder_name: str, rename: bool = False
             ) -> list[MetaEdit]:
    """The edits that give the experiment its conventional tags, and with ``rename`` (its
    folder was renamed) the folder's name as alias.

    cmind reads `_cm.yaml` first and lets `_cm.json` override its keys, so `tags` is edited
    where cmind takes it from (the JSON meta if it has them, else the YAML one), and the alias
    in every meta that has one.
    """
    if any(not d.ok or d.issues or not isinstance(d.data, dict) for d in documents):
        return []  # never rewrite, or decide from, a meta that did not read cleanly
    ordered = sorted(documents, key=lambda d: d.relpath.endswith(".json"))  # YAML first
    merged: dict[str, Any] = {}
    for document in ordered:
        merged.update(document.data)
    alias = merged.get("alias") if isinstance(merged.get("alias"), str) else folder_name
    changes: dict[str, dict[str, Any]] = {}
    codes: dict[str, list[str]] = {}
    former = None
    if rename and alias != folder_name:
        former, alias = str(alias), folder_name
        for document in documents:
            if "alias" in document.data:
                changes.setdefault(document.relpath, {})["alias"] = alias
                codes.setdefault(document.relpath, []).append("M003")
    holder = next((d for d in reversed(ordered) if "tags" in d.data), None)
    if holder is not None and isinstance(holder.data["tags"], list):
        old = list(holder.data["tags"])
        new = canonical_tags(str(alias), old, former)
        if new is not None and [_tag_key(t) for t in new] != [_tag_key(t) for t in old]:
            changes.setdefault(holder.relpath, {})["tags"] = new
            codes.setdefault(holder.relpath, []).extend(_tag_codes(old, new))
    edits = []
    for document in documents:
        if document.relpath not in changes:
            continue
        if document.relpath.endswith(".yaml"):
            text = _yaml_with(document, changes[document.relpath])
        else:
            text = _json_with(document, changes[document.relpath])
        if text is not None:
            edits.append(MetaEdit(document, text, codes[document.relpath]))
    return edits


def _json_with(doc: Document, changes: dict[str, Any]) -> str:
    assert doc.text is not None
    text = doc.text
    start = len(text) - len(text.lstrip())
    old = dict(doc.data)
    new = {**old, **changes}
    sorted_keys = list(old) == sorted(old)
    style = detect_style(text, start, 0, sorted_keys)
    rebuilt = text[:start] + rebuild_object(text, start, old, new, style, 0)
    rebuilt += text[object_members(text, start)[1]:]
    check_same(rebuilt, new, doc.relpath)
    return rebuilt


def _yaml_with(doc: Document, changes: dict[str, Any]) -> str | None:
    """The YAML meta with ``changes``, through ruamel.yaml's round trip: comments, quoting,
    indentation, line endings and the final newline kept; comments on tags follow their tag.
    None when the tags are shared through an anchor (changing them would change the other
    key too)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    assert doc.text is not None
    text = doc.text.replace("\r\n", "\n")
    _, indent, block_seq_indent = load_yaml_guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long values
    yaml.indent(mapping=indent or 2, sequence=indent or 2, offset=block_seq_indent or 0)
    yaml.explicit_end = text.rstrip().endswith("\n...")
    data = yaml.load(text)
    for key, value in changes.items():
        if key == "tags":
            if not _replace_sequence(data, key, value):
                return None
        else:
            data[key] = value
    out = io.StringIO()
    yaml.dump(data, out)
    result = out.getvalue()
    if not text.endswith("\n"):
        result = result.rstrip("\n")
    return result.replace("\n", "\r\n") if "\r\n" in doc.text else result


def _replace_sequence(data: Any, key: str, values: list[Any]) -> bool:
    """Put ``values`` in the sequence ``data[key]`` in place, moving each item's comment with
    it. False when the sequence is anchored or aliased (shared with another key)."""
    sequence = data[key]
    anchor = getattr(sequence, "anchor", None)
    if (anchor is not None and anchor.value) or \
            any(v is sequence for k, v in data.items() if k != key):
        return False
    comments = getattr(sequence, "ca", None)
    old_comments = dict(comments.items) if comments is not None else {}
    old_keys = [_tag_key(t) for t in sequence]
    old_items = list(sequence)
    del sequence[:]
    for value in values:
        key_of = _tag_key(value)
        sequence.append(old_items[old_keys.index(key_of)] if key_of in old_keys else value)
    if comments is not None:
        comments.items.clear()
        for index, value in enumerate(values):
            key_of = _tag_key(value)
            if key_of in old_keys and old_keys.index(key_of) in old_comments:
                comments.items[index] = old_comments[old_keys.index(key_of)]
    return True
