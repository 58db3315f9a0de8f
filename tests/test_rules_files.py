"""File rules F001-F010: for each code, a failing repository with the finding located exactly
(path, line, column, JSON pointer) and a passing repository that differs by the minimal fix.

Also here: the clean fixture of every family lints clean, and every registered rule code has a
failing case somewhere in the tests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import test_rules_meta
import test_rules_repo_meta
import test_rules_rows
from builders import (
    INFERENCE_ALIAS,
    INFERENCE_POWER_ALIAS,
    INFERENCE_V41_ALIAS,
    REPO_META,
    TINY_ALIAS,
    TRAINING_ALIAS,
    TS,
    Anchor,
    assert_one_finding,
    dump,
    inference_row,
    lint,
    meta_for,
    meta_rel,
    result_rel,
    tiny_row,
    training_row,
    with_aggregates,
    write_repo,
)

from mlperf_repo_tools.rules import all_rules

A = INFERENCE_ALIAS
UID = "00000000000000a1"
GOOD = dump([inference_row()])
GOOD_META = dump(meta_for(A, UID))
RESULT = result_rel(A)
FOLDER = f"experiment/{A}/"

Build = Callable[[Path], Any]


def result_text(content: str | bytes) -> Build:
    """The experiment A with this cm-result.json content (its aggregate holds a clean copy)."""
    def build(root: Path) -> None:
        write_repo(root, with_aggregates({A: [inference_row()]}))
        target = root / RESULT
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return build


def meta_text(content: str) -> Build:
    def build(root: Path) -> None:
        write_repo(root, with_aggregates({A: [inference_row()]}), metas={A: content})
    return build


def repo_meta_text(content: str) -> Build:
    def build(root: Path) -> None:
        write_repo(root, with_aggregates({A: [inference_row()]}), repo_meta=content)
    return build


def rows(*items: Any, alias: str = A) -> Build:
    """The experiment ``alias`` and its aggregate, both holding these rows."""
    def build(root: Path) -> None:
        write_repo(root, with_aggregates({alias: list(items)}))
    return build


def bad_rows(*items: Any, alias: str = A) -> Build:
    """The experiment ``alias`` alone holding these rows (so a finding is made once)."""
    def build(root: Path) -> None:
        write_repo(root, {alias: list(items)})
    return build


def other_system_row() -> dict[str, Any]:
    location = "closed/Zeta/results/zbox_2/resnet/Offline"
    return inference_row(uid="99aa99aa99aa99aa", Platform="zbox_2", Location=location,
                         url="https://github.com/mlcommons/inference_results_v4.0/tree/master/"
                             + location)


def no_meta(root: Path) -> None:
    write_repo(root, with_aggregates({A: [inference_row()]}), metas={A: None})


def no_timestamp(root: Path) -> None:
    write_repo(root, {A: None, A.replace("v4.0", "all"): [inference_row()]})


def empty_timestamp(root: Path) -> None:
    result_text(GOOD)(root)
    (root / "experiment" / A / "2024-03-02.08-00-00.000001").mkdir()


def folder_as_result(root: Path) -> None:
    write_repo(root, {A: None, A.replace("v4.0", "all"): [inference_row()]})
    (root / RESULT).mkdir(parents=True)


def link_outside(root: Path) -> None:
    write_repo(root, {A: None, A.replace("v4.0", "all"): [inference_row()]})
    outside = root.parent / "outside.json"
    outside.write_text(GOOD, encoding="utf-8")
    (root / RESULT).parent.mkdir(parents=True)
    (root / RESULT).symlink_to(outside)


def link_inside(root: Path) -> None:
    write_repo(root, {A: None, A.replace("v4.0", "all"): [inference_row()]})
    (root / "shared").mkdir()
    (root / "shared" / "rows.json").write_text(GOOD, encoding="utf-8")
    (root / RESULT).parent.mkdir(parents=True)
    (root / RESULT).symlink_to(root / "shared" / "rows.json")


def meta_link_outside(root: Path) -> None:
    write_repo(root, with_aggregates({A: [inference_row()]}), metas={A: None})
    outside = root.parent / "meta.json"
    outside.write_text(GOOD_META, encoding="utf-8")
    (root / meta_rel(A)).symlink_to(outside)


def result_link_loop(root: Path) -> None:
    write_repo(root, {A: None, A.replace("v4.0", "all"): [inference_row()]})
    (root / RESULT).parent.mkdir(parents=True)
    (root / RESULT).symlink_to(root / RESULT)


def meta_fifo(root: Path) -> None:
    write_repo(root, with_aggregates({A: [inference_row()]}))
    os.mkfifo(root / meta_rel(A, "_cm.yaml"))


def experiment_link_outside(root: Path) -> None:
    result_text(GOOD)(root)
    elsewhere = root.parent / "elsewhere" / TINY_ALIAS
    elsewhere.mkdir(parents=True)
    (root / "experiment" / TINY_ALIAS).symlink_to(elsewhere)


def dup_key(text: str, key: str, value: str) -> str:
    """``text`` with the ``"key": value`` pair written twice."""
    pair = f'"{key}": {value},'
    assert pair in text
    return text.replace(pair, f"{pair}\n    {pair}", 1)


BAD_BYTE = GOOD.encode().replace(b"Zeta Box One", b"Zeta Box \xff")

# (id, code, failing build, passing build, path, anchor, pointer, message)
FAILS: list[tuple[str, str, Build, Build, str, Anchor, str, str]] = [
    ("truncated-result", "F001", result_text(GOOD[:40]), result_text(GOOD),
     RESULT, (4, 5), "", "invalid JSON: Unterminated string"),
    ("empty-result", "F001", result_text(""), result_text(GOOD),
     RESULT, (1, 1), "", "file is empty; expected JSON"),
    ("blank-result", "F001", result_text("\n  \n"), result_text(GOOD),
     RESULT, (1, 1), "", "file is empty"),
    ("extra-bracket", "F001", result_text(GOOD + "]\n"), result_text(GOOD),
     RESULT, (GOOD.count("\n") + 1, 1), "",
     "invalid JSON: extra data after the array"),
    ("trailing-comma", "F001",
     result_text(GOOD.replace('"version": "v4.0"', '"version": "v4.0",')), result_text(GOOD),
     RESULT, ("text", "}\n]"), "", "Expecting property name enclosed in double quotes"),
    ("single-quotes", "F001",
     result_text(GOOD.replace('"version": "v4.0"', "'version': 'v4.0'")), result_text(GOOD),
     RESULT, ("text", "'version'"), "", "Expecting property name"),
    ("truncated-meta", "F001", meta_text(GOOD_META[:30]), meta_text(GOOD_META),
     meta_rel(A), (2, 12), "", "invalid JSON: Unterminated string"),
    ("bad-yaml", "F001", repo_meta_text("alias: a\nuid: [\n"), repo_meta_text(REPO_META),
     "cmr.yaml", (3, 1), "", "invalid YAML"),
    ("bom", "F002", result_text(b"\xef\xbb\xbf" + GOOD.encode()), result_text(GOOD),
     RESULT, (1, 1), "", "file starts with a UTF-8 byte order mark"),
    ("utf-16", "F002", result_text(GOOD.encode("utf-16")), result_text(GOOD),
     RESULT, (1, 1), "", "file is UTF-16 or UTF-32 encoded"),
    ("utf-32", "F002", result_text(GOOD.encode("utf-32")), result_text(GOOD),
     RESULT, (1, 1), "", "file is UTF-16 or UTF-32 encoded"),
    ("utf-16-le-without-bom", "F002", result_text(GOOD.encode("utf-16-le")),
     result_text(GOOD), RESULT, (1, 1), "", "UTF-16 or UTF-32"),
    ("utf-16-be-without-bom", "F002", result_text(GOOD.encode("utf-16-be")),
     result_text(GOOD), RESULT, (1, 1), "", "UTF-16 or UTF-32"),
    ("invalid-byte", "F002", result_text(BAD_BYTE), result_text(GOOD),
     RESULT, ("text", "\ufffd"), "", "invalid UTF-8 byte 0xff"),
    ("latin-1", "F002",
     result_text(GOOD.replace("Zeta Box One", "Zeta Böx").encode("latin-1")),
     rows(inference_row(SystemName="Zeta Böx")),
     RESULT, ("text", "\ufffd"), "", "invalid UTF-8 byte 0xf6"),
    ("meta-bom", "F002", meta_text("\ufeff" + GOOD_META), meta_text(GOOD_META),
     meta_rel(A), (1, 1), "", "byte order mark"),
    ("row-key", "F003", result_text(dup_key(GOOD, "Accuracy", "76.05")), result_text(GOOD),
     RESULT, ("key", "Accuracy", 1), "/0/Accuracy",
     'duplicate key "Accuracy"; readers keep only the last value'),
    ("row-key-of-second-row", "F003",
     result_text(dup_key(dump([other_system_row(), inference_row()]),
                         "uid", '"1a2b3c4d5e6f7081"')),
     rows(other_system_row(), inference_row()),
     RESULT, ("key", "uid", 2), "/1/uid", 'duplicate key "uid"'),
    ("meta-key", "F003", meta_text(dup_key(GOOD_META, "automation_alias", '"experiment"')),
     meta_text(GOOD_META),
     meta_rel(A), ("key", "automation_alias", 1), "/automation_alias",
     'duplicate key "automation_alias"'),
    ("yaml-key", "F003", repo_meta_text(REPO_META + "alias: other\n"),
     repo_meta_text(REPO_META),
     "cmr.yaml", (4, 1), "", 'found duplicate key "alias"'),
    ("nan", "F004", result_text(GOOD.replace('"Result": 1250.5', '"Result": NaN')),
     result_text(GOOD),
     RESULT, ("value", "Result"), "/0/Result", "number NaN is not finite"),
    ("infinity", "F004", result_text(GOOD.replace('"Result": 1250.5', '"Result": Infinity')),
     result_text(GOOD),
     RESULT, ("value", "Result"), "/0/Result", "number Infinity is not finite"),
    ("minus-infinity", "F004",
     result_text(GOOD.replace('"Accuracy": 76.05', '"Accuracy": -Infinity')),
     result_text(GOOD),
     RESULT, ("value", "Accuracy"), "/0/Accuracy", "number -Infinity is not finite"),
    ("overflow", "F004", result_text(GOOD.replace('"Result": 1250.5', '"Result": 1e400')),
     result_text(GOOD.replace('"Result": 1250.5', '"Result": 1.2505e3')),
     RESULT, ("value", "Result"), "/0/Result", "number 1e400 is not finite"),
    ("integer-too-long", "F004",
     result_text(GOOD.replace('"errors": 0', '"errors": ' + "9" * 5000)), result_text(GOOD),
     RESULT, ("value", "errors"), "/0/errors", "number 99999999999999999999"),
    ("object", "F005", result_text(dump(inference_row())), result_text(GOOD),
     RESULT, (1, 1), "", "a result file holds a JSON array of rows, found an object"),
    ("null", "F005", result_text("null\n"), result_text(GOOD),
     RESULT, (1, 1), "", "found null"),
    ("text", "F005", result_text('"rows"\n'), result_text(GOOD),
     RESULT, (1, 1), "", "found a string"),
    ("trailing-space", "F006", bad_rows(inference_row(**{"Operating System ": "Linux"})),
     rows(inference_row(**{"Operating System": "Linux"})),
     RESULT, ("key", "Operating System "), "/0/Operating System ",
     "key 'Operating System ' has surrounding whitespace"),
    ("twin-with-other-value", "F006",
     bad_rows(tiny_row(**{"Operating System ": "RTOS"}), alias=TINY_ALIAS),
     rows(tiny_row(), alias=TINY_ALIAS),
     result_rel(TINY_ALIAS), ("key", "Operating System "), "/0/Operating System ",
     "the row also has 'Operating System' with another value"),
    ("leading-tab", "F006", bad_rows(inference_row(**{"\tframework": "ZetaRT 3.2"})),
     rows(inference_row()),
     RESULT, ("key", "\tframework"), "/0/\tframework", "has surrounding whitespace"),
    ("meta-key", "F006", meta_text(dump(meta_for(A, UID, **{"password_hash ": "x"}))),
     meta_text(dump(meta_for(A, UID, password_hash="x"))),
     meta_rel(A), ("key", "password_hash "), "/password_hash ",
     "key 'password_hash ' has surrounding whitespace"),
    ("no-meta", "F007", no_meta, result_text(GOOD),
     FOLDER, (0, 0), "", "experiment folder has no _cm.json or _cm.yaml"),
    ("no-timestamp-folder", "F008", no_timestamp, result_text(GOOD),
     FOLDER, (0, 0), "", "experiment has no timestamp folder and so no cm-result.json"),
    ("empty-timestamp-folder", "F008", empty_timestamp, result_text(GOOD),
     FOLDER + "2024-03-02.08-00-00.000001/", (0, 0), "",
     "timestamp folder 2024-03-02.08-00-00.000001 has no cm-result.json"),
    ("folder-as-result", "F009", folder_as_result, result_text(GOOD),
     RESULT, (0, 0), "", "expected a file but found a folder"),
    ("result-link-outside", "F009", link_outside, link_inside,
     RESULT, (0, 0), "", "symbolic link points outside the repository; not read"),
    ("meta-link-outside", "F009", meta_link_outside, meta_text(GOOD_META),
     meta_rel(A), (0, 0), "", "symbolic link points outside the repository"),
    ("experiment-link-outside", "F009", experiment_link_outside, result_text(GOOD),
     f"experiment/{TINY_ALIAS}/", (0, 0), "", "experiment folder is outside the repository"),
    ("result-link-loop", "F009", result_link_loop, result_text(GOOD),
     RESULT, (0, 0), "", "cannot read file: Too many levels of symbolic links"),
    ("meta-fifo", "F009", meta_fifo, meta_text(GOOD_META),
     meta_rel(A, "_cm.yaml"), (0, 0), "", "not a regular file"),
    ("list-row", "F010", bad_rows(inference_row(), ["Result", 1.0]), rows(inference_row()),
     RESULT, ("text", '[\n    "Result"'), "/1", "row 1 is list, not an object"),
    ("number-row", "F010", result_text("[7]\n"), result_text(GOOD),
     RESULT, (1, 2), "/0", "row 0 is int, not an object"),
]

FAILING_CODES = {case[1] for case in FAILS}


@pytest.mark.parametrize(("code", "build", "path", "anchor", "pointer", "message"),
                         [pytest.param(case[1], case[2], *case[4:], id=f"{case[1]}-{case[0]}")
                          for case in FAILS])
def test_rule_fails(tmp_path: Path, code: str, build: Build, path: str, anchor: Anchor,
                    pointer: str, message: str) -> None:
    root = tmp_path / "repo"
    build(root)
    assert_one_finding(root, code, path, anchor, pointer, message)


@pytest.mark.parametrize(("code", "build"),
                         [pytest.param(case[1], case[3], id=f"{case[1]}-{case[0]}")
                          for case in FAILS])
def test_rule_passes(tmp_path: Path, code: str, build: Build) -> None:
    """The minimal fix leaves no finding of the code, and in fact no finding at all."""
    root = tmp_path / "repo"
    build(root)
    findings = lint(root)
    assert code not in [f.code for f in findings]
    assert [(f.code, f.location.path, f.message) for f in findings] == []


def test_literal_positions(tmp_path: Path) -> None:
    """Anchors are computed from the written text; pin a few to literal numbers."""
    result_text(dup_key(GOOD, "Accuracy", "76.05").replace('"Result": 1250.5', '"Result": NaN')
                )(tmp_path)
    found = {(f.code, f.location.line, f.location.column, f.location.pointer)
             for f in lint(tmp_path, ["F"])}
    assert found == {("F003", 4, 5, "/0/Accuracy"), ("F004", 13, 15, "/0/Result")}


# -- the clean fixtures ------------------------------------------------------------------------

CLEAN = {
    "inference-v4.0": {INFERENCE_ALIAS: [inference_row()]},
    "inference-v4.0-power": {INFERENCE_POWER_ALIAS: [
        inference_row(uid="1a2b3c4d5e6f7082", power=True)]},
    "inference-v4.1": {INFERENCE_V41_ALIAS: [inference_row(uid="1a2b3c4d5e6f7083",
                                                           version="v4.1")]},
    "tiny": {TINY_ALIAS: [tiny_row()]},
    "training": {TRAINING_ALIAS: [training_row()]},
}


@pytest.mark.parametrize("family", list(CLEAN))
def test_clean_fixture_has_no_finding(tmp_path: Path, family: str) -> None:
    experiments = with_aggregates(CLEAN[family])
    write_repo(tmp_path, experiments)
    result = lint(tmp_path)
    assert [(f.code, f.location.path, f.message) for f in result] == []
    # and the fixture really was read: two metas, two result files, one row each
    found = [p.relative_to(tmp_path).as_posix() for p in sorted(tmp_path.rglob("*.json"))]
    assert found == sorted([meta_rel(a) for a in experiments]
                           + [result_rel(a) for a in experiments])


def test_clean_fixture_files_are_read(tmp_path: Path) -> None:
    from mlperf_repo_tools.engine import lint_paths

    write_repo(tmp_path, with_aggregates({k: v for c in CLEAN.values() for k, v in c.items()}))
    result = lint_paths([tmp_path])
    assert result.findings == []
    assert result.rows_checked == 10  # five rows, each in its experiment and its aggregate
    assert result.files_checked == 1 + 2 * 9  # cmr.yaml; a meta and a result per experiment


def test_timestamp_folder_of_the_builders(tmp_path: Path) -> None:
    write_repo(tmp_path, {A: [inference_row()]})
    assert (tmp_path / "experiment" / A / TS / "cm-result.json").is_file()


# -- every rule has a failing case ------------------------------------------------------------

def _codes_tested_elsewhere() -> set[str]:
    """Codes asserted by the older test modules (R016-R020, X001-X013), read from their
    source: a code written as a string literal in a test module."""
    here = Path(__file__).parent
    found: set[str] = set()
    for name in ("test_row_truth.py", "test_consistency.py"):
        found |= set(re.findall(r'"([A-Z]\d{3})\b', (here / name).read_text(encoding="utf-8")))
    return found


def test_every_registered_rule_has_a_failing_case() -> None:
    tested = (FAILING_CODES | test_rules_meta.FAILING_CODES | test_rules_rows.FAILING_CODES
              | test_rules_repo_meta.FAILING_CODES | _codes_tested_elsewhere())
    registered = set(all_rules())
    assert sorted(registered - tested) == []


def test_failing_tables_name_only_registered_rules() -> None:
    tables = (FAILING_CODES | test_rules_meta.FAILING_CODES | test_rules_rows.FAILING_CODES
              | test_rules_repo_meta.FAILING_CODES)
    assert sorted(tables - set(all_rules())) == []
    # the families this suite owns are covered by its own tables, not by the older modules
    own = {c for c in all_rules() if c[0] in "FMC" or "R001" <= c <= "R015"}
    assert sorted(own - tables) == []
