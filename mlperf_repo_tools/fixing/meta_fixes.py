"""Fixes of experiment metas: tags by the repository's convention (M007, M008, M009).

The convention's tags come first, in order; any other tag the meta carries is kept after them
(once), since only a person can say whether it is a typo or a deliberate extra tag. A JSON
meta is edited in place; a YAML meta is rewritten through ruamel.yaml's round trip, which
keeps its comments and layout.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlperf_repo_tools.alias import expected_tags, parse_alias
from mlperf_repo_tools.fixing.jsonedit import (
    check_same,
    detect_style,
    object_members,
    rebuild_object,
)
from mlperf_repo_tools.loading import Document, load_json, load_yaml

TAG_CODES = ("M007", "M008", "M009")


@dataclass
class MetaEdit:
    document: Document
    new_text: str
    codes: list[str]


def canonical_tags(alias_text: str, tags: list[Any], former_alias: str | None = None
                   ) -> list[Any] | None:
    """The tags a meta should carry, or None when its alias cannot be read. Parts of a
    ``former_alias`` (the misspelt one a renamed experiment had) are not kept as extras."""
    expected = expected_tags(parse_alias(alias_text))
    if expected is None:
        return None
    former = set(former_alias.split("--")) if former_alias else set()
    extra = [t for t in dict.fromkeys(t for t in tags if isinstance(t, str | int | float))
             if t not in expected and t not in former]
    return [*expected, *extra]


def _tag_codes(old: list[Any], new: list[Any]) -> list[str]:
    codes = []
    if any(t not in old for t in new):
        codes.append("M007")
    if len(old) != len(set(map(str, old))):
        codes.append("M008")
    if [t for t in old if t in new] != [t for t in new if t in old]:
        codes.append("M009")
    return codes or ["M009"]


def load_meta(path: Path, relpath: str, root: Path) -> Document:
    if path.suffix == ".yaml":
        return load_yaml(path, relpath, root)
    return load_json(path, relpath, root, rows=False)


def fix_meta(documents: list[Document], folder_name: str, rename: bool = False
             ) -> MetaEdit | None:
    """The edit that gives the experiment its conventional tags, if one is needed, and with
    ``rename`` (its folder was renamed) the folder's name as alias.

    cmind reads `_cm.yaml` first and lets `_cm.json` override it, so the file to edit is the
    JSON one when it holds `tags`, else the YAML one.
    """
    by_kind = {d.relpath.rsplit(".", 1)[-1]: d for d in documents}
    if any(not d.ok or d.issues for d in documents):
        return None  # never rewrite, or decide from, a meta that did not read cleanly
    target = next((d for d in (by_kind.get("json"), by_kind.get("yaml"))
                   if d is not None and isinstance(d.data, dict) and "tags" in d.data), None)
    if target is None or not isinstance(target.data["tags"], list):
        return None
    merged: dict[str, Any] = {}
    for kind in ("yaml", "json"):
        if kind in by_kind and isinstance(by_kind[kind].data, dict):
            merged.update(by_kind[kind].data)
    alias = merged.get("alias") if isinstance(merged.get("alias"), str) else folder_name
    changes: dict[str, Any] = {}
    codes = []
    former = None
    if rename and alias != folder_name:
        former, alias = str(alias), folder_name
        changes["alias"] = alias
        codes.append("M003")
    old = list(target.data["tags"])
    new = canonical_tags(str(alias), old, former)
    if new is not None and new != old:
        changes["tags"] = new
        codes.extend(_tag_codes(old, new))
    if not changes:
        return None
    if target.relpath.endswith(".yaml"):
        text = _yaml_with(target, changes)
    else:
        text = _json_with(target, changes)
    return MetaEdit(target, text, codes)


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


def _yaml_with(doc: Document, changes: dict[str, Any]) -> str:
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    assert doc.text is not None
    _, indent, block_seq_indent = load_yaml_guess_indent(doc.text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=indent or 2, sequence=(indent or 2) + (block_seq_indent or 0),
                offset=block_seq_indent or 0)
    data = yaml.load(doc.text)
    for key, value in changes.items():
        if key == "tags":  # change the sequence in place: its comments stay attached
            del data[key][:]
            data[key].extend(value)
        else:
            data[key] = value
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
