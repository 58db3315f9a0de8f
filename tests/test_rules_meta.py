"""Meta rules M001-M011: for each code, a failing repository with the finding located exactly
(path, line, column, JSON pointer) and a passing repository that differs by the minimal fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from builders import (
    INFERENCE_ALIAS,
    INFERENCE_POWER_ALIAS,
    TINY_ALIAS,
    TRAINING_ALIAS,
    TS,
    Anchor,
    anchor_position,
    assert_one_finding,
    inference_row,
    lint,
    meta_for,
    meta_rel,
    tags_for,
    tiny_row,
    training_row,
    with_aggregates,
    write_repo,
)

A, P = INFERENCE_ALIAS, INFERENCE_POWER_ALIAS
UID = "00000000000000a1"  # the uid write_repo gives the first experiment
TYPO_TASK = "mlperf-inference--v4.0--edge--closed--languge-processing--offline"
GOOD_TASK = "mlperf-inference--v4.0--edge--closed--language-processing--offline"
FIVE_PARTS = "mlperf-inference--v4.0--edge--closed--image-classification"
TRAINING_V = "mlperf-training--v3.0--closed--image-classification"
NO_FAMILY = "mlperf-inferenc--v4.0--edge--closed--image-classification--offline"
POWER_TAGS = tags_for(P)

Build = Callable[[Path], Any]


def repo(experiments: dict[str, Any], metas: dict[str, Any] | None = None,
         aggregates: bool = False) -> Build:
    """A builder of a repository: rows per alias, optional meta replacements."""
    def build(root: Path) -> None:
        exps = with_aggregates(experiments) if aggregates else experiments
        write_repo(root, exps, metas)
    return build


def one(folder: str, rows: list[Any] | None = None, **meta: Any) -> Build:
    """One experiment whose meta is the default one with ``meta`` changes."""
    return repo({folder: rows if rows is not None else [row_for(folder)]},
                {folder: meta_for(folder, UID, **meta)})


def clean(folder: str, **meta: Any) -> Build:
    """The passing twin of `one`: with its aggregate, so nothing at all is reported."""
    rows = [row_for(folder)]
    return repo({folder: rows}, {folder: meta_for(folder, UID, **meta)}, aggregates=True)


def row_for(alias: str) -> dict[str, Any]:
    if alias.startswith("mlperf-tiny"):
        return tiny_row()
    if alias.startswith("mlperf-training"):
        return training_row()
    if alias.startswith("mlperf-inference") and "closed-power" in alias:
        return inference_row(power=True)
    return inference_row()


def swapped(tags: list[str], i: int, j: int) -> list[str]:
    tags = list(tags)
    tags[i], tags[j] = tags[j], tags[i]
    return tags


def renamed_timestamp(name: str) -> Build:
    def build(root: Path) -> None:
        write_repo(root, with_aggregates({A: [inference_row()]}))
        (root / "experiment" / A / TS).rename(root / "experiment" / A / name)
    return build


def without_meta(alias: str) -> Build:
    return repo({alias: [inference_row()]}, {alias: None})


def meta_list() -> Build:
    return repo({A: [inference_row()]}, {A: "[]\n"})


def missing(key: str) -> dict[str, Any]:
    meta = meta_for(A, UID)
    del meta[key]
    return meta


def with_yaml(text: str, json_meta: bool = True) -> Build:
    """The experiment A with a `_cm.yaml` beside (or instead of) its `_cm.json`."""
    def build(root: Path) -> None:
        write_repo(root, with_aggregates({A: [inference_row()]}),
                   None if json_meta else {A: None})
        (root / "experiment" / A / "_cm.yaml").write_text(text, encoding="utf-8")
    return build


YAML_META = (f"alias: {A}\nautomation_alias: experiment\nautomation_uid: a0a2d123ef064bcb\n"
             "tags:\n" + "".join(f"- {t}\n" for t in tags_for(A)) + f"uid: {UID}\n")

# (id, code, failing build, passing build, path, anchor, pointer, message)
FAILS: list[tuple[str, str, Build, Build, str, Anchor, str, str]] = [
    ("alias-typo", "M001",
     one(A, alias=A.replace("offline", "offlne")), clean(A),
     meta_rel(A), ("value", "alias"), "/alias",
     f"alias '{A.replace('offline', 'offlne')}' differs from folder name '{A}'"),
    ("alias-of-other-experiment", "M001",
     one(A, alias=P, tags=tags_for(P)), clean(A),
     meta_rel(A), ("value", "alias"), "/alias", f"alias '{P}' differs from folder name"),
    ("five-parts", "M002",
     one(FIVE_PARTS, rows=[inference_row()]), clean(A),
     meta_rel(FIVE_PARTS), ("value", "alias"), "/alias",
     "alias has 5 parts, expected 6: "
     "mlperf-inference--VERSION--CATEGORY--DIVISION--TASK--SCENARIO"),
    ("training-version-with-v", "M002",
     one(TRAINING_V, rows=[training_row()]), clean(TRAINING_ALIAS),
     meta_rel(TRAINING_V), ("value", "alias"), "/alias",
     "training version 'v3.0' is not written X.Y (no 'v')"),
    ("unknown-family", "M002",
     one(NO_FAMILY, rows=[inference_row()]), clean(A),
     meta_rel(NO_FAMILY), ("value", "alias"), "/alias",
     f"alias '{NO_FAMILY}' starts with none of mlperf-inference, mlperf-tiny, "
     "mlperf-training"),
    # no meta: the folder name is the alias checked, and the folder is where it is reported
    ("folder-without-meta", "M002",
     without_meta("results-2024"), clean(A),
     "experiment/results-2024/", (0, 0), "",
     "alias 'results-2024' starts with none of"),
    ("task-typo", "M003",
     one(TYPO_TASK, rows=[inference_row()]),
     clean(A),
     meta_rel(TYPO_TASK), ("value", "alias"), "/alias",
     "unknown inference task 'languge-processing' (did you mean 'language-processing'?)"),
    ("unknown-round", "M003",
     one(A.replace("v4.0", "v9.9"), rows=[inference_row()]), clean(A),
     meta_rel(A.replace("v4.0", "v9.9")), ("value", "alias"), "/alias",
     "unknown inference version 'v9.9'"),
    ("tiny-benchmark", "M003",
     one(TINY_ALIAS.replace("kws", "kwz"), rows=[tiny_row()]), clean(TINY_ALIAS),
     meta_rel(TINY_ALIAS.replace("kws", "kwz")), ("value", "alias"), "/alias",
     "unknown tiny benchmark 'kwz'"),
    ("task-typo-without-meta", "M003",
     without_meta(TYPO_TASK), clean(A),
     f"experiment/{TYPO_TASK}/", (0, 0), "", "unknown inference task 'languge-processing'"),
    ("uppercase", "M004",
     one(A, uid=UID.upper()), clean(A),
     meta_rel(A), ("value", "uid"), "/uid",
     "uid '00000000000000A1' is not 16 lowercase hexadecimal digits"),
    ("too-short", "M004",
     one(A, uid="4a5edcc2"), clean(A),
     meta_rel(A), ("value", "uid"), "/uid", "uid '4a5edcc2' is not 16"),
    # regression: `$` accepted a trailing newline
    ("trailing-newline", "M004",
     one(A, uid=UID + "\n"), clean(A),
     meta_rel(A), ("value", "uid"), "/uid", "is not 16 lowercase hexadecimal digits"),
    ("iso-timestamp", "M006",
     renamed_timestamp("2024-03-01T10:20:30"), renamed_timestamp(TS + ".1"),
     f"experiment/{A}/2024-03-01T10:20:30/", (0, 0), "",
     "folder '2024-03-01T10:20:30' is not a timestamp (YYYY-MM-DD.HH-MM-SS.ffffff)"),
    ("word", "M006",
     renamed_timestamp("results"), renamed_timestamp("2024-03-01.10-20-30"),
     f"experiment/{A}/results/", (0, 0), "", "folder 'results' is not a timestamp"),
    # regression: Unicode digits matched \d, and `$` accepted a trailing newline
    ("fullwidth-digits", "M006",
     renamed_timestamp("\uff12\uff10\uff12\uff14-03-01.10-20-30.123456"),
     renamed_timestamp("2024-03-01.10-20-30.123456"),
     f"experiment/{A}/\uff12\uff10\uff12\uff14-03-01.10-20-30.123456/", (0, 0), "",
     "is not a timestamp"),
    ("trailing-newline", "M006",
     renamed_timestamp(TS + "\n"), renamed_timestamp(TS),
     f"experiment/{A}/{TS}\n/", (0, 0), "", "is not a timestamp"),
    ("family-and-power-tags", "M007",
     one(P, tags=POWER_TAGS[:-2]), clean(P),
     meta_rel(P), ("value", "tags"), "/tags", "missing tags 'inference', 'power'"),
    ("power-tag", "M007",
     one(P, tags=POWER_TAGS[:-1]), clean(P),
     meta_rel(P), ("value", "tags"), "/tags", "missing tag 'power'"),
    ("network-tag", "M007",
     one(A.replace("closed", "closed-network"),
         rows=[inference_row(Division="network",
                             Location="network/Zeta/results/zbox_1/resnet/Offline",
                             url="https://github.com/mlcommons/inference_results_v4.0/tree/"
                                 "master/network/Zeta/results/zbox_1/resnet/Offline")],
         tags=tags_for(A.replace("closed", "closed-network"))[:-1]),
     clean(A),
     meta_rel(A.replace("closed", "closed-network")), ("value", "tags"), "/tags",
     "missing tag 'network'"),
    ("tiny-family-tag", "M007",
     one(TINY_ALIAS, tags=tags_for(TINY_ALIAS)[:-1]), clean(TINY_ALIAS),
     meta_rel(TINY_ALIAS), ("value", "tags"), "/tags", "missing tag 'tiny'"),
    ("stray-tag", "M008",
     one(P, tags=[*POWER_TAGS, "gpu"]), clean(P),
     meta_rel(P), ("text", '"gpu"'), "/tags/9",
     "tag 'gpu' is not part of the tag convention"),
    ("repeated-tag", "M008",
     one(P, tags=[*POWER_TAGS, "edge"]), clean(P),
     meta_rel(P), ("text", '"edge"', 1), "/tags/9", "tag 'edge' is repeated"),
    # regression: the index of a tag counted only the text tags before it
    ("after-a-non-text-tag", "M008",
     one(P, tags=["mlperf", 5, *POWER_TAGS[1:], "gpu"]), clean(P),
     meta_rel(P), ("text", '"gpu"'), "/tags/10",
     "tag 'gpu' is not part of the tag convention"),
    ("part-of-another-alias", "M008",
     one(TINY_ALIAS, tags=["mlperf", "mlperf-tiny", "v1.1", "closed", "kws", "vww", "tiny"]),
     clean(TINY_ALIAS),
     meta_rel(TINY_ALIAS), ("text", '"vww"'), "/tags/5",
     "tag 'vww' is not part of the tag convention"),
    ("swapped", "M009",
     one(P, tags=swapped(POWER_TAGS, 1, 2)), clean(P),
     meta_rel(P), ("value", "tags"), "/tags",
     "tags out of order: expected mlperf, mlperf-inference, v4.0, edge, closed-power, "
     "image-classification, offline, inference, power"),
    ("family-tag-first", "M009",
     one(TRAINING_ALIAS, tags=["training", *tags_for(TRAINING_ALIAS)[:-1]]),
     clean(TRAINING_ALIAS),
     meta_rel(TRAINING_ALIAS), ("value", "tags"), "/tags", "tags out of order"),
    ("automation-alias", "M010",
     one(A, automation_alias="script"), clean(A),
     meta_rel(A), ("value", "automation_alias"), "/automation_alias",
     "'experiment' was expected"),
    ("tags-as-text", "M010",
     one(A, tags="mlperf,inference"), clean(A),
     meta_rel(A), ("value", "tags"), "/tags", "'mlperf,inference' is not of type 'array'"),
    ("empty-tag", "M010",
     one(A, tags=[*tags_for(A), ""]), clean(A),
     meta_rel(A), ("text", '""'), "/tags/8", "should be non-empty"),
    ("uid-not-text", "M010",
     one(A, uid=12345), clean(A),
     meta_rel(A), ("value", "uid"), "/uid", "12345 is not of type 'string'"),
    ("missing-automation-uid", "M010",
     repo({A: [inference_row()]}, {A: missing("automation_uid")}), clean(A),
     meta_rel(A), (1, 1), "", "'automation_uid' is a required property"),
    ("not-a-mapping", "M010",
     meta_list(), clean(A),
     meta_rel(A), (1, 1), "", "experiment meta must be a mapping of keys to values"),
    ("uid-differs", "M011",
     with_yaml(YAML_META.replace(UID, "00000000000000ff")), with_yaml(YAML_META),
     meta_rel(A), ("value", "uid"), "/uid",
     "'uid' differs between _cm.json and _cm.yaml; cmind uses the _cm.json value"),
    ("tags-differ", "M011",
     with_yaml(YAML_META.replace("- inference\n", "")), with_yaml(YAML_META),
     meta_rel(A), ("value", "tags"), "/tags", "'tags' differs between _cm.json and _cm.yaml"),
    # YAML-only metas are located in the YAML text
    ("yaml-uppercase-uid", "M004",
     with_yaml(YAML_META.replace(UID, UID.upper()), json_meta=False),
     with_yaml(YAML_META, json_meta=False),
     meta_rel(A, "_cm.yaml"), ("text", UID.upper()), "/uid", "is not 16 lowercase"),
    ("yaml-missing-tag", "M007",
     with_yaml(YAML_META.replace("- inference\n", ""), json_meta=False),
     with_yaml(YAML_META, json_meta=False),
     meta_rel(A, "_cm.yaml"), ("text", "- mlperf\n"), "/tags", "missing tag 'inference'"),
]

FAILING_CODES = {case[1] for case in FAILS} | {"M005"}


@pytest.mark.parametrize(("code", "build", "path", "anchor", "pointer", "message"),
                         [pytest.param(case[1], case[2], *case[4:], id=f"{case[1]}-{case[0]}")
                          for case in FAILS])
def test_rule_fails(tmp_path: Path, code: str, build: Build, path: str, anchor: Anchor,
                    pointer: str, message: str) -> None:
    build(tmp_path)
    assert_one_finding(tmp_path, code, path, anchor, pointer, message)


@pytest.mark.parametrize(("code", "build"),
                         [pytest.param(case[1], case[3], id=f"{case[1]}-{case[0]}")
                          for case in FAILS])
def test_rule_passes(tmp_path: Path, code: str, build: Build) -> None:
    """The minimal fix leaves no finding of the code, and in fact no finding at all."""
    build(tmp_path)
    findings = lint(tmp_path)
    assert code not in [f.code for f in findings]
    assert [(f.code, f.location.path, f.message) for f in findings] == []


def test_yaml_value_of_a_conflict_is_a_related_location(tmp_path: Path) -> None:
    with_yaml(YAML_META.replace(UID, "00000000000000ff"))(tmp_path)
    (finding,) = [f for f in lint(tmp_path) if f.code == "M011"]
    yaml_text = (tmp_path / meta_rel(A, "_cm.yaml")).read_text(encoding="utf-8")
    assert [(loc.path, loc.line, loc.column, loc.pointer, note)
            for loc, note in finding.related] == [
        (meta_rel(A, "_cm.yaml"), *anchor_position(yaml_text, ("text", "00000000000000ff")),
         "/uid", "_cm.yaml value")]


def test_uid_shared_by_two_experiments_is_reported_at_both(tmp_path: Path) -> None:
    other = INFERENCE_ALIAS.replace("v4.0", "v4.1")
    write_repo(tmp_path, {A: [inference_row()], other: [inference_row(version="v4.1")]},
               {A: meta_for(A, UID), other: meta_for(other, UID)})
    found = [f for f in lint(tmp_path) if f.code == "M005"]
    text = (tmp_path / meta_rel(A)).read_text(encoding="utf-8")
    line, column = anchor_position(text, ("value", "uid"))
    assert line == 15 and column == 10  # pinned: the last key of a sorted meta
    assert [(f.location.path, f.location.line, f.location.column, f.location.pointer)
            for f in found] == [(meta_rel(A), line, column, "/uid"),
                                (meta_rel(other), line, column, "/uid")]
    assert [f.message for f in found] == [
        f"uid '{UID}' is also used by 1 other experiment"] * 2
    assert [[(loc.path, loc.pointer, note) for loc, note in f.related] for f in found] == [
        [(meta_rel(other), "/uid", "same uid")], [(meta_rel(A), "/uid", "same uid")]]


def test_uid_shared_by_three_experiments(tmp_path: Path) -> None:
    aliases = [A, A.replace("v4.0", "v4.1"), A.replace("v4.0", "v3.1")]
    write_repo(tmp_path, {a: None for a in aliases}, {a: meta_for(a, UID) for a in aliases})
    found = [f for f in lint(tmp_path) if f.code == "M005"]
    assert len(found) == 3
    assert all(f.message == f"uid '{UID}' is also used by 2 other experiments" for f in found)
    assert all(len(f.related) == 2 for f in found)


def test_distinct_uids_pass(tmp_path: Path) -> None:
    other = INFERENCE_ALIAS.replace("v4.0", "v4.1")
    write_repo(tmp_path, with_aggregates(
        {A: [inference_row()], other: [inference_row(version="v4.1", uid="99aa99aa99aa99aa")]}))
    assert [f.code for f in lint(tmp_path)] == []


def test_tag_findings_pinned_to_literal_values(tmp_path: Path) -> None:
    one(P, tags=[*POWER_TAGS[:-1], "gpu"])(tmp_path)
    found = {(f.code, f.location.line, f.location.column, f.location.pointer)
             for f in lint(tmp_path, ["M"])}
    assert found == {("M007", 5, 11, "/tags"), ("M008", 14, 5, "/tags/8")}
