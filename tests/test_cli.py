"""The command line, run as a real process (`python -m mlperf_repo_tools`, what the
`mlperf-repo-lint` script runs): exit codes, the three output formats, rule selection, rule
documentation, and malformed input that must become findings, never tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from builders import (
    INFERENCE_ALIAS,
    INFERENCE_POWER_ALIAS,
    TINY_ALIAS,
    anchor_position,
    dump,
    inference_row,
    meta_for,
    meta_rel,
    result_rel,
    tiny_row,
    with_aggregates,
    write_repo,
)
from jsonschema import Draft202012Validator

from mlperf_repo_tools.rules import all_rules

A = INFERENCE_ALIAS
RESULT = result_rel(A)
GOOD = dump([inference_row()])
TEXT_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<column>\d+): "
                       r"(?P<code>[A-Z]\d{3}) (?P<message>.+)$")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def lint_cli(*args: str | Path, cwd: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env["PYTHONWARNINGS"] = "ignore"
    proc = subprocess.run([sys.executable, "-m", "mlperf_repo_tools", *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return Run(proc.returncode, proc.stdout, proc.stderr)


def clean_repo(root: Path) -> Path:
    return write_repo(root, with_aggregates({A: [inference_row()]}))


def repo_with_findings(root: Path) -> Path:
    """R004 (error) and R007 (error) in the per-version file, R015 (warning) in a tiny one."""
    bad = inference_row(Units="Queries/s")
    return write_repo(root, with_aggregates({
        A: [bad], TINY_ALIAS: [tiny_row(Status="Available")]}))


# -- exit status -------------------------------------------------------------------------------

def test_clean_repository_exits_0(tmp_path: Path) -> None:
    run = lint_cli(cwd=clean_repo(tmp_path))
    assert (run.code, run.stdout) == (0, "")
    assert run.stderr.startswith("0 findings (0 errors, 0 warnings) in 5 files, 2 rows")


def test_findings_exit_1_in_text_format(tmp_path: Path) -> None:
    root = repo_with_findings(tmp_path)
    run = lint_cli(cwd=root)
    assert run.code == 1
    text = (root / RESULT).read_text(encoding="utf-8")
    units = anchor_position(text, ("value", "Units"))
    mirror = anchor_position(text, ("value", "Result_Units"))
    tiny = result_rel(TINY_ALIAS)
    status = anchor_position((root / tiny).read_text(encoding="utf-8"), ("value", "Status"))
    lines = run.stdout.splitlines()
    assert all(TEXT_LINE.match(line) for line in lines), lines
    aggregate = RESULT.replace("v4.0", "all")
    assert set(lines) == {
        f"{path}:{mirror[0]}:{mirror[1]}: R007 Result_Units \"Samples/s\" differs from its "
        f"source Units \"Queries/s\"" for path in (RESULT, aggregate)} | {
        f"{path}:{units[0]}:{units[1]}: R004 resnet Offline results of v4.0 are in "
        f"'Samples/s', not 'Queries/s'" for path in (RESULT, aggregate)} | {
        f"{path}:{status[0]}:{status[1]}: R015 Status 'Available' should be spelled "
        f"'available'" for path in (tiny, tiny.replace("v1.1", "all"))}
    assert len(lines) == 6
    assert lines == sorted(lines, key=lambda s: (s.split(":")[0], int(s.split(":")[1])))
    assert "6 findings (4 errors, 2 warnings) in 9 files, 4 rows" in run.stderr


def test_folder_findings_have_no_line_in_text(tmp_path: Path) -> None:
    write_repo(tmp_path, with_aggregates({A: [inference_row()]}), metas={A: None})
    run = lint_cli("--select", "F007", cwd=tmp_path)
    assert (run.code, run.stdout) == (
        1, f"experiment/{A}/: F007 experiment folder has no _cm.json or _cm.yaml\n")


def test_text_output_keeps_one_finding_per_line(tmp_path: Path) -> None:
    """A folder name with a line break cannot split a finding or forge another one."""
    forged = "x\ncmr.yaml:1:1: C001 forged"
    write_repo(tmp_path, with_aggregates({A: [inference_row()]}))
    (tmp_path / "experiment" / forged).mkdir()
    (tmp_path / "experiment" / "y\u2028z").mkdir()
    run = lint_cli("--select", "F007", cwd=tmp_path)
    assert run.code == 1
    assert run.stdout.splitlines() == [
        "experiment/x\\ncmr.yaml:1:1: C001 forged/: "
        "F007 experiment folder has no _cm.json or _cm.yaml",
        "experiment/y\\u2028z/: F007 experiment folder has no _cm.json or _cm.yaml"]


@pytest.mark.parametrize(("args", "message"), [
    (["--no-such-option"], "No such option"),
    (["--select", "Z999"], "error: unknown rule code or name 'Z999'"),
    (["--select", "R001,nonsense"], "error: unknown rule code or name 'nonsense'"),
    (["--ignore", "Q"], "error: unknown rule code or name 'Q'"),
    (["no/such/path"], "error: no/such/path: no such file or folder"),
    (["--output-format", "xml"], "Invalid value for '--output-format'"),
    (["--explain", "R999"], "error: unknown rule 'R999'"),
])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    run = lint_cli(*args, cwd=clean_repo(tmp_path))
    assert run.code == 2
    assert run.stdout == ""
    assert message in run.stderr


def test_path_outside_any_repository_exits_2(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    run = lint_cli(tmp_path / "plain", cwd=tmp_path)
    assert run.code == 2
    assert "not inside a results repository" in run.stderr


# -- JSON and SARIF ----------------------------------------------------------------------------

def test_json_output(tmp_path: Path) -> None:
    root = repo_with_findings(tmp_path)
    run = lint_cli("--output-format", "json", "--select", "R004", RESULT, cwd=root)
    assert run.code == 1
    items = json.loads(run.stdout)
    line, column = anchor_position((root / RESULT).read_text(encoding="utf-8"),
                                   ("value", "Units"))
    fields = ("code", "name", "severity", "message", "path", "line", "column", "pointer",
              "related")
    assert [{k: item[k] for k in fields} for item in items] == [{
        "code": "R004", "name": "result-unit-mismatch", "severity": "error",
        "message": "resnet Offline results of v4.0 are in 'Samples/s', not 'Queries/s'",
        "path": RESULT, "line": line, "column": column, "pointer": "/0/Units", "related": []}]


def test_json_output_of_a_clean_repository_is_an_empty_array(tmp_path: Path) -> None:
    run = lint_cli("--output-format", "json", cwd=clean_repo(tmp_path))
    assert (run.code, json.loads(run.stdout)) == (0, [])


def test_json_related_locations(tmp_path: Path) -> None:
    write_repo(tmp_path, {A: [inference_row(), inference_row()]})
    run = lint_cli("--output-format", "json", "--select", "R012", cwd=tmp_path)
    (item,) = json.loads(run.stdout)
    assert (item["code"], item["pointer"], item["line"], item["column"]) == ("R012", "/1", 36, 3)
    assert [{k: r[k] for k in ("path", "line", "column", "pointer", "message")}
            for r in item["related"]] == [
        {"path": RESULT, "line": 2, "column": 3, "pointer": "/0", "message": "first copy"}]


# The parts of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json) that this tool's output uses,
# with their required properties and value constraints.
_MESSAGE = {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
            "properties": {"text": {"type": "string"}}}
_LOCATION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "minimum": -1},
        "message": _MESSAGE,
        "physicalLocation": {
            "type": "object",
            "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
            "properties": {
                "artifactLocation": {"type": "object", "properties": {
                    "uri": {"type": "string"}, "uriBaseId": {"type": "string"}}},
                "region": {"type": "object", "properties": {
                    "startLine": {"type": "integer", "minimum": 1},
                    "startColumn": {"type": "integer", "minimum": 1}}},
            },
        },
    },
}
SARIF_SUBSET = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "tool": {"type": "object", "required": ["driver"], "properties": {
                    "driver": {"type": "object", "required": ["name"], "properties": {
                        "name": {"type": "string"},
                        "version": {"type": "string"},
                        "rules": {"type": "array", "items": {
                            "type": "object", "required": ["id"], "properties": {
                                "id": {"type": "string"},
                                "shortDescription": _MESSAGE, "fullDescription": _MESSAGE,
                                "defaultConfiguration": {"type": "object", "properties": {
                                    "level": {"enum": ["none", "note", "warning", "error"]}}},
                            }}},
                    }}}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": -1},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": _MESSAGE,
                        "locations": {"type": "array", "items": _LOCATION},
                        "relatedLocations": {"type": "array", "items": _LOCATION},
                    }}},
            }}},
    },
}
# RFC 3986 URI-reference characters (percent signs only as escapes)
URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")


def _sarif(run: Run) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(run.stdout)
    errors = sorted(Draft202012Validator(SARIF_SUBSET).iter_errors(log), key=str)
    assert [e.message for e in errors] == []
    return log


def _uris(log: dict[str, Any]) -> list[str]:
    return [loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in log["runs"][0]["results"]
            for loc in result["locations"] + result.get("relatedLocations", [])]


def test_sarif_output(tmp_path: Path) -> None:
    root = repo_with_findings(tmp_path)
    run = lint_cli("--output-format", "sarif", RESULT, result_rel(TINY_ALIAS), cwd=root)
    assert run.code == 1
    log = _sarif(run)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "mlperf-repo-lint"
    assert [r["id"] for r in driver["rules"]] == list(all_rules())
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("R007", "error"), ("R004", "error"), ("R015", "warning")]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    text = (root / RESULT).read_text(encoding="utf-8")
    line, column = anchor_position(text, ("value", "Units"))
    r004 = results[1]
    assert r004["locations"] == [{"physicalLocation": {
        "artifactLocation": {"uri": RESULT, "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": line, "startColumn": column}}}]
    assert r004["properties"]["jsonPointer"] == "/0/Units"
    assert all(URI_REFERENCE.match(uri) for uri in _uris(log))


def test_sarif_related_locations_of_multi_place_findings(tmp_path: Path) -> None:
    """X006 (identical except uid) and X005 (one result, two contents) name every row."""
    write_repo(tmp_path, with_aggregates({A: [
        inference_row(), inference_row(uid="99aa99aa99aa99aa"),
        inference_row(uid="88bb88bb88bb88bb", Result=1300.0)]}))
    run = lint_cli("--output-format", "sarif", "--select", "X005,X006", RESULT, cwd=tmp_path)
    results = _sarif(run)["runs"][0]["results"]
    summary = [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
                [(rel["id"], rel["physicalLocation"]["artifactLocation"]["uri"],
                  rel["physicalLocation"]["region"]["startLine"], rel["message"]["text"])
                 for rel in r["relatedLocations"]]) for r in results]
    assert summary == [("X006", 36, [(1, RESULT, 2, "first copy")]),
                       ("X005", 70, [(1, RESULT, 2, "other row")])]


def test_sarif_folder_finding_has_no_region(tmp_path: Path) -> None:
    write_repo(tmp_path, with_aggregates({A: [inference_row()]}), metas={A: None})
    results = _sarif(lint_cli("--output-format", "sarif", "--select", "F007",
                              cwd=tmp_path))["runs"][0]["results"]
    assert [r["locations"] for r in results] == [[{"physicalLocation": {
        "artifactLocation": {"uri": f"experiment/{A}/", "uriBaseId": "%SRCROOT%"}}}]]


def test_sarif_uris_are_escaped(tmp_path: Path) -> None:
    """A folder name with a space or a '%' is not a URI as it is: SARIF needs it escaped."""
    for name in ("my results", "100%"):
        write_repo(tmp_path / name, {name: [inference_row()]})
        log = _sarif(lint_cli("--output-format", "sarif", "--select", "M002",
                              cwd=tmp_path / name))
        escaped = {"my results": "my%20results", "100%": "100%25"}[name]
        assert _uris(log) == [f"experiment/{escaped}/_cm.json"]


def test_sarif_columns_count_characters(tmp_path: Path) -> None:
    """Columns are counted in characters; the log must say so (SARIF's default is UTF-16 code
    units, which differ after a character outside the BMP)."""
    text = json.dumps([inference_row(SystemName="Zeta \U0001f600 Box", Units="Queries/s")],
                      ensure_ascii=False)
    write_repo(tmp_path, {A: text})
    log = _sarif(lint_cli("--output-format", "sarif", "--select", "R004", cwd=tmp_path))
    (result,) = log["runs"][0]["results"]
    assert log["runs"][0]["columnKind"] == "unicodeCodePoints"
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1, "startColumn": text.index('"Queries/s"') + 1}


def test_sarif_of_a_clean_repository(tmp_path: Path) -> None:
    run = lint_cli("--output-format", "sarif", cwd=clean_repo(tmp_path))
    assert run.code == 0
    assert _sarif(run)["runs"][0]["results"] == []


# -- selection ---------------------------------------------------------------------------------

def _codes(run: Run) -> list[str]:
    return [m.group("code") for m in map(TEXT_LINE.match, run.stdout.splitlines()) if m]


@pytest.mark.parametrize(("args", "codes", "exit_code"), [
    (["--select", "R004"], ["R004", "R004"], 1),
    (["--select", "R00"], ["R007", "R004", "R007", "R004"], 1),
    (["--select", "R004,R015"], ["R004", "R004", "R015", "R015"], 1),
    (["--select", "R004", "--select", "R015"], ["R004", "R004", "R015", "R015"], 1),
    (["--select", "mirror-mismatch"], ["R007", "R007"], 1),
    (["--select", "r015"], ["R015", "R015"], 1),
    (["--ignore", "R004,R007"], ["R015", "R015"], 1),
    (["--select", "R", "--ignore", "R00"], ["R015", "R015"], 1),
    (["--ignore", "R"], [], 0),
    (["--select", "M,F,C"], [], 0),
])
def test_select_and_ignore(tmp_path: Path, args: list[str], codes: list[str],
                           exit_code: int) -> None:
    run = lint_cli(*args, cwd=repo_with_findings(tmp_path))
    assert (run.code, _codes(run)) == (exit_code, codes)


# -- rule documentation ------------------------------------------------------------------------

def test_list_rules(tmp_path: Path) -> None:
    run = lint_cli("--list-rules", cwd=tmp_path)
    assert run.code == 0
    rules = all_rules()
    rows = [line.split() for line in run.stdout.splitlines()]
    assert [r[0] for r in rows] == list(rules)
    for row in rows:
        rule = rules[row[0]]
        assert row[1:3] == [rule.name, str(rule.severity)]
        assert (row[3] == "fix") == (rule.fixable and not rule.unsafe_fix)
        assert (row[3] == "unsafe") == rule.unsafe_fix


@pytest.mark.parametrize("query", ["R009", "r009", "derived-wrong"])
def test_explain(tmp_path: Path, query: str) -> None:
    run = lint_cli("--explain", query, cwd=tmp_path)
    assert run.code == 0
    rule = all_rules()["R009"]
    assert run.stdout.startswith("R009 derived-wrong")
    assert "Fails:" in run.stdout and "Passes:" in run.stdout
    assert rule.summary in " ".join(run.stdout.split())  # the doc wraps its first paragraph


def test_every_rule_can_be_explained_with_its_examples() -> None:
    """In process (click's runner), as one process per rule would be slow."""
    from click.testing import CliRunner

    from mlperf_repo_tools.cli import lint_command

    runner = CliRunner()
    for code, rule in all_rules().items():
        result = runner.invoke(lint_command, ["--explain", code])
        assert result.exit_code == 0, code
        assert result.stdout.startswith(f"{code} {rule.name}"), code
        assert "Fails:" in result.stdout and "Passes:" in result.stdout, code


# -- given files and --all ---------------------------------------------------------------------

def test_given_file_reports_only_that_file_and_all_reports_everything(tmp_path: Path) -> None:
    root = repo_with_findings(tmp_path)
    only = lint_cli(RESULT, cwd=root)
    assert {TEXT_LINE.match(line).group("path")  # type: ignore[union-attr]
            for line in only.stdout.splitlines()} == {RESULT}
    everything = lint_cli("--all", RESULT, cwd=root)
    whole = lint_cli(cwd=root)
    assert everything.stdout == whole.stdout
    assert len(everything.stdout.splitlines()) == 6


def test_a_path_inside_the_repository_finds_the_root(tmp_path: Path) -> None:
    root = repo_with_findings(tmp_path)
    run = lint_cli(".", cwd=root / "experiment" / A)
    assert run.code == 1
    assert {TEXT_LINE.match(line).group("path")  # type: ignore[union-attr]
            for line in run.stdout.splitlines()} == {RESULT}


# -- malformed input: a finding at path:line:col, exit 1, no traceback --------------------------

NAN = GOOD.replace('"Result": 1250.5', '"Result": NaN')
DUPLICATE = GOOD.replace('"Accuracy": 76.05,', '"Accuracy": 76.05,\n    "Accuracy": 76.05,')
SPACED = dump([inference_row(**{"framework ": "ZetaRT 3.2"})])

BAD_INPUT: list[tuple[str, str | bytes, str, tuple[int, int]]] = [
    ("syntax-error", GOOD.replace('"Division": "closed",', '"Division": "closed"'), "F001",
     anchor_position(GOOD, ("key", "Location"))),
    # cut right after '"MlperfModel": ': the value is missing at the end of the file
    ("truncated", GOOD[:200], "F001", anchor_position(GOOD, ("value", "MlperfModel"))),
    ("bom", b"\xef\xbb\xbf" + GOOD.encode(), "F002", (1, 1)),
    ("invalid-utf-8", GOOD.encode().replace(b"Zeta Box One", b"Zeta Box \xc3\x28"), "F002",
     anchor_position(GOOD, ("text", "One"))),
    ("utf-16", GOOD.encode("utf-16"), "F002", (1, 1)),
    ("non-array", dump(inference_row()), "F005", (1, 1)),
    ("nan", NAN, "F004", anchor_position(NAN, ("text", "NaN"))),
    ("duplicate-keys", DUPLICATE, "F003", anchor_position(DUPLICATE, ("key", "Accuracy", 1))),
    ("key-whitespace", SPACED, "F006", anchor_position(SPACED, ("key", "framework "))),
    ("empty", "", "F001", (1, 1)),
]


@pytest.mark.parametrize(("content", "code", "where"),
                         [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUT])
def test_bad_result_file(tmp_path: Path, content: str | bytes, code: str,
                         where: tuple[int, int]) -> None:
    clean_repo(tmp_path)
    target = tmp_path / RESULT
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    run = lint_cli(cwd=tmp_path)  # lint_cli asserts there is no traceback
    assert run.code == 1
    matches = [m for m in map(TEXT_LINE.match, run.stdout.splitlines())
               if m and m.group("code") == code]
    assert [(m.group("path"), int(m.group("line")), int(m.group("column")))
            for m in matches] == [(RESULT, *where)]
    assert "internal error" not in run.stderr


@pytest.mark.parametrize(("name", "content", "code"), [
    ("meta-syntax", '{"alias": ', "F001"),
    ("meta-empty", "", "F001"),
    ("meta-bom", "\ufeff" + dump(meta_for(A, "00000000000000a1")), "F002"),
    ("meta-nan", dump(meta_for(A, "00000000000000a1")).replace('"00000000000000a1"', "NaN"),
     "F004"),
])
def test_bad_meta_file(tmp_path: Path, name: str, content: str, code: str) -> None:
    write_repo(tmp_path, with_aggregates({A: [inference_row()]}), metas={A: content})
    run = lint_cli("--output-format", "json", cwd=tmp_path)
    assert run.code == 1
    found = [(i["code"], i["path"]) for i in json.loads(run.stdout) if i["code"] == code]
    assert found == [(code, meta_rel(A))], name
    (item,) = [i for i in json.loads(run.stdout) if i["code"] == code]
    assert item["line"] >= 1 and item["column"] >= 1


def test_bad_repo_meta(tmp_path: Path) -> None:
    write_repo(tmp_path, with_aggregates({A: [inference_row()]}),
               repo_meta="alias: a\nuid: [unclosed\n")
    run = lint_cli(cwd=tmp_path)
    assert run.code == 1
    assert [line for line in run.stdout.splitlines() if " F001 " in line] == [
        "cmr.yaml:3:1: F001 invalid YAML: expected ',' or ']', but got '<stream end>'"]


# -- values of the wrong type must be findings, not internal errors ------------------------------

@pytest.mark.parametrize(("alias", "row"), [
    pytest.param(INFERENCE_POWER_ALIAS, inference_row(power=True, Scenario=[]), id="Scenario"),
    pytest.param(INFERENCE_POWER_ALIAS, inference_row(power=True, Result_Power_Units=[]),
                 id="Result_Power_Units"),
    pytest.param(A, inference_row(Units=[]), id="Units"),
    pytest.param(A, inference_row(Result_Units={}), id="Result_Units"),
    pytest.param(A, inference_row(Location=[]), id="Location"),
    pytest.param(A, inference_row(version=[]), id="version"),
    pytest.param(INFERENCE_POWER_ALIAS, inference_row(power=True, MlperfModel=[]),
                 id="MlperfModel"),
    pytest.param(TINY_ALIAS, tiny_row(Benchmark=[]), id="tiny-Benchmark"),
    pytest.param(A, inference_row(Availability=[]), id="Availability"),
    pytest.param(TINY_ALIAS, tiny_row(Status={}), id="tiny-Status"),
])
def test_list_or_object_values_are_schema_findings(tmp_path: Path, alias: str,
                                                   row: dict[str, Any]) -> None:
    write_repo(tmp_path, {alias: [row]})
    run = lint_cli("--output-format", "json", cwd=tmp_path)
    assert "internal error" not in run.stderr
    assert run.code == 1
    key = next(k for k, v in row.items() if isinstance(v, (list, dict)))
    assert ("R001", f"/0/{key}") in [(i["code"], i["pointer"]) for i in json.loads(run.stdout)]


@pytest.mark.parametrize(("code", "row"), [
    ("R006", inference_row(Result_Units=["Watts"])),
    ("R005", inference_row(Units={"unit": "Watts"})),
])
def test_unit_rules_accept_values_of_any_type(tmp_path: Path, code: str,
                                              row: dict[str, Any]) -> None:
    """Regression: R005/R006 tested a list for membership in a set (TypeError)."""
    write_repo(tmp_path, {A: [row]})
    run = lint_cli("--select", code, cwd=tmp_path)
    assert (run.code, run.stdout, "internal error" in run.stderr) == (0, "", False)


def test_sarif_with_no_result_is_a_valid_log(tmp_path: Path) -> None:
    """The results are spliced into the indented log: with none, the list must be empty."""
    from mlperf_repo_tools.reporting.sarif import render_sarif

    log = json.loads(render_sarif([]))
    assert log["runs"][0]["results"] == []
    assert not list(Draft202012Validator(SARIF_SUBSET).iter_errors(log))


def test_a_file_outside_the_format_is_named_not_silently_passed(tmp_path: Path) -> None:
    write_repo(tmp_path, with_aggregates({A: [inference_row()]}))
    (tmp_path / "notes.txt").write_text("not a file of the format\n")
    run = lint_cli("notes.txt", RESULT, cwd=tmp_path)
    assert run.code == 0
    assert "warning: notes.txt: not a file of the format (_cm.json, _cm.yaml, cm-result.json, " \
        "cmr.json, cmr.yaml); not checked" in run.stderr
    assert "in 1 file" in run.stderr


def test_unwritable_sarif_file_fails_before_the_run(tmp_path: Path) -> None:
    write_repo(tmp_path, with_aggregates({A: [inference_row(host_processor_core_count="x")]}))
    run = lint_cli("--sarif-file", tmp_path / "missing" / "out.sarif", cwd=tmp_path)
    assert run.code == 2 and run.stdout == ""
    assert f"{tmp_path / 'missing' / 'out.sarif'}: cannot write SARIF: no folder " \
        f"{tmp_path / 'missing'}" in run.stderr
