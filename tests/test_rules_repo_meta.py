"""C001: the repository meta (`cmr.yaml`, or `cmr.json`) against `schemas/cmr.schema.json`,
each failing meta located exactly and each passing one differing by the minimal fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import (
    INFERENCE_ALIAS,
    REPO_META,
    Anchor,
    anchor_position,
    dump,
    inference_row,
    lint,
    located,
    result_rel,
    with_aggregates,
    write_repo,
)

HEAD = "alias: acme@test-results\nuid: 0123456789abcdef\n"
DEPS_OK = HEAD + "deps:\n  - alias: mlcommons@ck\n    uid: a4705959af8e447a\n    conflict: true\n"

# (id, failing cmr.yaml, passing cmr.yaml, anchor, pointer, message)
FAILS: list[tuple[str, str, str, Anchor, str, str]] = [
    ("short-uppercase-uid", "alias: acme@test-results\nuid: 6FBF42FA\n", HEAD,
     ("text", "6FBF42FA"), "/uid", "'6FBF42FA' does not match '^[0-9a-f]{16}"),
    ("dependency-by-name", HEAD + "deps:\n  - name: mlcommons@ck\n", DEPS_OK,
     ("text", "name:"), "/deps/0", "'alias' is a required property"),
    ("dependency-uid", DEPS_OK.replace("a4705959af8e447a", "CK0"), DEPS_OK,
     ("text", "CK0"), "/deps/0/uid", "'CK0' does not match"),
    ("conflict-as-text", DEPS_OK.replace("conflict: true", "conflict: maybe"), DEPS_OK,
     ("text", "maybe"), "/deps/0/conflict", "'maybe' is not of type 'boolean'"),
    ("missing-alias", "uid: 0123456789abcdef\n", HEAD,
     (1, 1), "", "'alias' is a required property"),
    ("empty-alias", HEAD.replace("acme@test-results", "''"), HEAD,
     ("text", "''"), "/alias", "should be non-empty"),
    ("git-as-text", HEAD + "git: yes please\n", HEAD + "git: true\n",
     ("text", "yes please"), "/git", "'yes please' is not of type 'boolean'"),
    ("absolute-prefix", HEAD + "prefix: /data\n", HEAD + "prefix: data\n",
     ("text", "/data"), "/prefix", "'/data' does not match"),
    ("list", "- alias\n- uid\n", HEAD, (1, 1), "", "is not of type 'object'"),
    ("empty", "", HEAD, (1, 1), "", "None is not of type 'object'"),
]

FAILING_CODES = {"C001"}


def _write(root: Path, repo_meta: str) -> None:
    write_repo(root, with_aggregates({INFERENCE_ALIAS: [inference_row()]}),
               repo_meta=repo_meta)
    prefix = "prefix: data\n" in repo_meta
    if prefix:  # the experiments live below the prefix
        (root / "data").mkdir()
        (root / "experiment").rename(root / "data" / "experiment")


@pytest.mark.parametrize(("text", "anchor", "pointer", "message"),
                         [pytest.param(c[1], *c[3:], id=c[0]) for c in FAILS])
def test_repo_meta_fails(tmp_path: Path, text: str, anchor: Anchor, pointer: str,
                         message: str) -> None:
    _write(tmp_path, text)
    findings = lint(tmp_path)
    assert located(findings, "C001") == [("cmr.yaml", *anchor_position(text, anchor), pointer)]
    (finding,) = [f for f in findings if f.code == "C001"]
    assert message in finding.message


@pytest.mark.parametrize("text", [pytest.param(c[2], id=c[0]) for c in FAILS])
def test_repo_meta_passes(tmp_path: Path, text: str) -> None:
    _write(tmp_path, text)
    assert [(f.code, f.location.path, f.message) for f in lint(tmp_path)] == []


def test_literal_position_of_a_dependency(tmp_path: Path) -> None:
    _write(tmp_path, HEAD + "git: true\n\ndeps:\n  - alias: mlcommons@ck\n    uid: CK\n")
    assert located(lint(tmp_path), "C001") == [("cmr.yaml", 7, 10, "/deps/0/uid")]


def test_the_real_repository_meta_shape_passes(tmp_path: Path) -> None:
    """The shape of the public repository's cmr.yaml (blank lines, a conflicting dependency,
    a capitalised boolean)."""
    text = (HEAD + "\ngit: true\n\ndeps:\n  - alias: mlcommons@cm4mlops\n"
            "    uid: 9e97bb72b0474657\n\n  - alias: mlcommons@ck\n"
            "    uid: a4705959af8e447a\n    conflict: True\n")
    _write(tmp_path, text)
    assert [f.code for f in lint(tmp_path)] == []


def test_cmr_json_is_checked_and_located(tmp_path: Path) -> None:
    write_repo(tmp_path, {INFERENCE_ALIAS: [inference_row()]}, repo_meta=None)
    text = dump({"alias": "acme@test-results", "uid": "0123"})
    (tmp_path / "cmr.json").write_text(text, encoding="utf-8")
    assert located(lint(tmp_path), "C001") == [
        ("cmr.json", *anchor_position(text, ("value", "uid")), "/uid")]
    (tmp_path / "cmr.json").write_text(json.dumps({"alias": "a", "uid": "0123456789abcdef"}))
    assert "C001" not in [f.code for f in lint(tmp_path)]


def test_prefix_moves_the_experiments(tmp_path: Path) -> None:
    """`prefix` is read: findings in the experiments below it carry the prefixed path."""
    write_repo(tmp_path / "tmp", {INFERENCE_ALIAS: [inference_row(Scenario="Offine")]},
               repo_meta=None)
    (tmp_path / "cmr.yaml").write_text(REPO_META + "prefix: data\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "tmp" / "experiment").rename(tmp_path / "data" / "experiment")
    paths = {f.location.path for f in lint(tmp_path) if f.code == "R003"}
    assert paths == {"data/" + result_rel(INFERENCE_ALIAS)}
