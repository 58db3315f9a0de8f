"""Hostile input: whatever a contributor's repository holds, the linter ends with a finding
(exit 1) or an error (exit 2) that names the offending file, at line:col for a finding in a
file's text, and never with a traceback.

Each case builds a small repository in a temporary folder (one inference experiment with a
meta and a result file, and ``cmr.yaml``), breaks one thing, and lints it through the click
command in-process; a few run the installed entry point in a subprocess. The base repository
need not be clean: every case asserts the specific rule code on the specific file.
"""

from __future__ import annotations

import builtins
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mlperf_repo_tools import loading
from mlperf_repo_tools.cli import lint_command

ALIAS = "mlperf-inference--v4.0--edge--closed--image-classification--offline"
TS = "2024-03-01.10-20-30.123456"
EXP = f"experiment/{ALIAS}"
META = f"{EXP}/_cm.json"
META_YAML = f"{EXP}/_cm.yaml"
RESULT = f"{EXP}/{TS}/cm-result.json"
CMR = "cmr.yaml"
CMR_TEXT = "alias: acme@test-results\nuid: 0123456789abcdef\ngit: true\n"
ROW: dict[str, Any] = {
    "Accuracy": 76.05, "Accuracy_div_100": 0.7605, "Availability": "available",
    "Division": "closed", "Location": "closed/Zeta/results/zbox_1/resnet/Offline",
    "MlperfModel": "resnet", "Model": "resnet", "Organization": "Zeta", "Platform": "zbox_1",
    "Result": 1250.5, "Result_Units": "Samples/s", "Scenario": "Offline",
    "SystemName": "Zeta Box One", "SystemType": "edge", "Units": "Samples/s",
    "accelerator_model_name": "Zeta NPU 2", "accelerators_per_node": 2, "compliance": 1,
    "errors": 0, "framework": "ZetaRT 3.2",
    "git_url": "https://github.com/mlcommons/inference_results_v4.0", "has_power": False,
    "host_processor_core_count": 12, "host_processor_model_name": "Zeta CPU 12C",
    "host_processors_per_node": 1, "inferred": 0, "notes": "", "number_of_nodes": 1,
    "operating_system": "Linux 6.1", "uid": "1a2b3c4d5e6f7081",
    "url": "https://github.com/mlcommons/inference_results_v4.0/tree/master/"
           "closed/Zeta/results/zbox_1/resnet/Offline",
    "version": "v4.0",
}
TAGS = ["mlperf", *ALIAS.split("--"), "inference"]
META_DATA = {"alias": ALIAS, "automation_alias": "experiment",
             "automation_uid": "a0a2d123ef064bcb", "tags": TAGS, "uid": "00000000000000a1"}


def dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


ROWS_TEXT = dump([ROW])
META_TEXT = dump(META_DATA)
META_YAML_TEXT = (f"alias: {ALIAS}\nautomation_alias: experiment\n"
                  "automation_uid: a0a2d123ef064bcb\ntags:\n"
                  + "".join(f"- {tag}\n" for tag in TAGS) + "uid: 00000000000000a1\n")


def base(root: Path) -> Path:
    (root / EXP / TS).mkdir(parents=True)
    (root / CMR).write_text(CMR_TEXT, encoding="utf-8")
    (root / META).write_text(META_TEXT, encoding="utf-8")
    (root / RESULT).write_text(ROWS_TEXT, encoding="utf-8")
    return root


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of ``needle`` in ``text``, counting only '\\n' as a break."""
    offset = text.index(needle)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


@dataclass
class Case:
    """``build`` breaks the base repository under the given root; the lint then must report
    one of ``codes`` on ``path`` (at ``at`` = (line, col) when given; at some line when
    ``located``) and exit with ``exit_code``."""

    build: Callable[[Path], None]
    path: str
    codes: tuple[str, ...]
    located: bool = True
    at: tuple[int, int] | None = None
    exit_code: int = 1


def write(rel: str, data: str | bytes) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            target.unlink()
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_bytes(data.encode("utf-8", "surrogatepass"))
    return build


def rows_with(old: str, new: str) -> str:
    assert old in ROWS_TEXT
    return ROWS_TEXT.replace(old, new, 1)


def meta_with(old: str, new: str) -> str:
    assert old in META_TEXT
    return META_TEXT.replace(old, new, 1)


def row_case(old: str, new: str, codes: tuple[str, ...], needle: str | None = None) -> Case:
    text = rows_with(old, new)
    at = position(text, needle) if needle else None
    return Case(write(RESULT, text), RESULT, codes, at=at)


def meta_case(old: str, new: str, codes: tuple[str, ...], needle: str | None = None) -> Case:
    text = meta_with(old, new)
    at = position(text, needle) if needle else None
    return Case(write(META, text), META, codes, at=at)


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


def yaml_bomb(key: str, levels: int = 9) -> str:
    """Nine levels of nine aliases: 9**9 strings once expanded, under ``key``."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"{key if level == levels - 1 else f'a{level}'}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def only_yaml_meta(text: str) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        (root / META).unlink()
        (root / META_YAML).write_text(text, encoding="utf-8")
    return build


def garbage(seed: int, size: int = 4096) -> bytes:
    return random.Random(seed).randbytes(size)


def sparse_file(rel: str, size: int) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        with (root / rel).open("wb") as handle:
            handle.write(b"[")
            handle.truncate(size)
    return build


def fifo(rel: str) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        (root / rel).unlink()
        os.mkfifo(root / rel)
    return build


def folder_instead(rel: str) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        target = root / rel
        if target.exists():
            target.unlink()
        target.mkdir()
        (target / "cm-result.json").write_text("[]\n", encoding="utf-8")
    return build


def link(rel: str, target: str | Callable[[Path], Path]) -> Callable[[Path], None]:
    """Replace ``rel`` by a symbolic link to ``target`` (relative text, or built from root)."""

    def build(root: Path) -> None:
        path = root / rel
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            _remove_tree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target(root) if callable(target) else target, path)
    return build


def _remove_tree(path: Path) -> None:
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            _remove_tree(child)
        else:
            child.unlink()
    path.rmdir()


def outside_file(text: str) -> Callable[[Path], Path]:
    """A file beside (not inside) the repository root."""

    def make(root: Path) -> Path:
        target = root.parent / "outside" / "secret.json"
        target.parent.mkdir(exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target
    return make


def outside_folder(root: Path) -> Path:
    """A complete copy of the experiment folder beside the repository."""
    target = root.parent / "outside" / ALIAS
    (target / TS).mkdir(parents=True)
    (target / "_cm.json").write_text(META_TEXT, encoding="utf-8")
    (target / TS / "cm-result.json").write_text(ROWS_TEXT, encoding="utf-8")
    return target


def renamed_experiment(name: str, codes: tuple[str, ...] = ("M001", "M002")) -> Case:
    """The experiment folder under a hostile name; its meta no longer matches it."""

    def build(root: Path) -> None:
        (root / EXP).rename(root / "experiment" / name)
    return Case(build, f"experiment/{name}/_cm.json", codes)


def renamed_timestamp(name: str) -> Case:
    def build(root: Path) -> None:
        (root / EXP / TS).rename(root / EXP / name)
    return Case(build, f"{EXP}/{name}/", ("M006",), located=False)


def both(*builds: Callable[[Path], None]) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        for step in builds:
            step(root)
    return build


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


CRLF_NAN = crlf(rows_with('"Result": 1250.5', '"Result": NaN'))
CRLF_DUP_META = crlf(meta_with('"uid": "00000000000000a1"',
                               '"uid": "00000000000000a1",\n  "uid": "00000000000000a2"'))
CRLF_SCHEMA = crlf(rows_with('"uid": "1a2b3c4d5e6f7081"', '"uid": {"a": 1}'))
ONE_LINE = json.dumps([ROW] * 20000).replace('"Result": 1250.5', '"Result": Infinity', 1)
ONE_LINE = ONE_LINE[:-1] + ', {"Result": NaN}]'
HUGE_INT = "9" * 5000
YAML_CONFLICT = META_YAML_TEXT.replace("uid: 00000000000000a1", "uid: 00000000000000b2")

CASES: dict[str, Case] = {
    # truncated, empty
    "result-truncated-in-row": Case(write(RESULT, ROWS_TEXT[: len(ROWS_TEXT) // 2]), RESULT,
                                    ("F001",)),
    "result-truncated-after-comma": Case(write(RESULT, '[{"uid": "1a2b3c4d5e6f7081",'), RESULT,
                                         ("F001",), at=(1, 29)),
    "result-only-bracket": Case(write(RESULT, "["), RESULT, ("F001",)),
    "result-unterminated-string": Case(write(RESULT, '[{"uid": "1a2b'), RESULT, ("F001",)),
    "meta-truncated": Case(write(META, META_TEXT[:40]), META, ("F001",)),
    "cmr-truncated": Case(write(CMR, 'alias: "acme@test-res'), CMR, ("F001",)),
    "result-zero-bytes": Case(write(RESULT, b""), RESULT, ("F001",)),
    "result-whitespace-only": Case(write(RESULT, "  \n\n \t\n"), RESULT, ("F001",)),
    "meta-zero-bytes": Case(write(META, b""), META, ("F001",)),
    "cmr-zero-bytes": Case(write(CMR, b""), CMR, ("C001", "F001"), located=False),
    "meta-yaml-zero-bytes": Case(write(META_YAML, b""), META_YAML, ("F001", "M010"),
                                 located=False),
    # encodings
    "result-utf8-bom": Case(write(RESULT, b"\xef\xbb\xbf" + ROWS_TEXT.encode()), RESULT,
                            ("F002",), at=(1, 1)),
    "meta-utf8-bom": Case(write(META, b"\xef\xbb\xbf" + META_TEXT.encode()), META, ("F002",),
                          at=(1, 1)),
    "cmr-utf8-bom": Case(write(CMR, b"\xef\xbb\xbf" + CMR_TEXT.encode()), CMR, ("F002",),
                         at=(1, 1)),
    "result-utf16-le": Case(write(RESULT, ROWS_TEXT.encode("utf-16")), RESULT, ("F002",)),
    "result-utf16-be": Case(write(RESULT, b"\xfe\xff" + ROWS_TEXT.encode("utf-16-be")), RESULT,
                            ("F002",)),
    "result-utf16-le-no-bom": Case(write(RESULT, ROWS_TEXT.encode("utf-16-le")), RESULT,
                                   ("F002",)),
    "result-utf16-be-no-bom": Case(write(RESULT, ROWS_TEXT.encode("utf-16-be")), RESULT,
                                   ("F002",)),
    "result-utf32-le-no-bom": Case(write(RESULT, ROWS_TEXT.encode("utf-32-le")), RESULT,
                                   ("F002",)),
    "meta-utf32": Case(write(META, META_TEXT.encode("utf-32")), META, ("F002",)),
    "result-invalid-utf8": Case(write(RESULT, rows_with('"Zeta Box One"', '"Zeta \xffBox"')
                                      .encode("latin-1")), RESULT, ("F002",),
                                at=position(rows_with('"Zeta Box One"', '"Zeta \xffBox"'),
                                            "\xff")),
    "result-encoded-surrogate": Case(write(RESULT, ROWS_TEXT.encode().replace(
        b"Zeta Box One", b"Zeta \xed\xa0\x80Box")), RESULT, ("F002",)),
    "meta-invalid-utf8": Case(write(META, META_TEXT.encode().replace(b"experiment",
                                                                      b"exp\xc3riment", 1)),
                              META, ("F002",)),
    "cmr-invalid-utf8": Case(write(CMR, b"alias: acme\xfe\nuid: 0123456789abcdef\n"), CMR,
                             ("F002",), at=(1, 12)),
    "result-lone-surrogate-escape": row_case('"Scenario": "Offline"',
                                             '"Scenario": "Off\\ud800line"', ("R003",),
                                             needle='"Off\\ud800line"'),
    # NaN, Infinity, numbers too large
    "result-nan": row_case('"Result": 1250.5', '"Result": NaN', ("F004",), needle="NaN"),
    "result-infinity": row_case('"Result": 1250.5', '"Result": Infinity', ("F004",),
                                needle="Infinity"),
    "result-minus-infinity": row_case('"Result": 1250.5', '"Result": -Infinity', ("F004",),
                                      needle="-Infinity"),
    "result-1e400": row_case('"Result": 1250.5', '"Result": 1e400', ("F004",), needle="1e400"),
    "result-minus-1e400": row_case('"Accuracy": 76.05', '"Accuracy": -1e400', ("F004",),
                                   needle="-1e400"),
    "result-5000-digit-integer": Case(write(RESULT, rows_with('"errors": 0',
                                                              f'"errors": {HUGE_INT}')),
                                      RESULT, ("F004",)),
    "meta-nan": meta_case('"uid": "00000000000000a1"', '"uid": NaN', ("F004",), needle="NaN"),
    # duplicate keys
    "result-duplicate-key": row_case('"Result": 1250.5', '"Result": 1250.5,\n    "Result": 1.0',
                                     ("F003",), needle='"Result": 1.0'),
    "result-duplicate-escaped-key": row_case('"Result": 1250.5',
                                             '"Result": 1250.5,\n    "\\u0052esult": 1.0',
                                             ("F003",), needle='"\\u0052esult"'),
    "meta-duplicate-key": meta_case('"uid": "00000000000000a1"',
                                    '"uid": "00000000000000a1",\n  "uid": "00000000000000a2"',
                                    ("F003",), needle='"uid": "00000000000000a2"'),
    "cmr-duplicate-key": Case(write(CMR, CMR_TEXT + "alias: other@x\n"), CMR, ("F003",)),
    # deep nesting
    "result-10000-nested-arrays": Case(write(RESULT, nested(10000)), RESULT, ("F001",)),
    "result-10000-nested-in-row": row_case('"notes": ""', '"notes": ' + nested(10000, "{\"a\": ",
                                                                                 "}")
                                           .replace("{\"a\": }", "{}"), ("F001",)),
    "meta-10000-nested-objects": Case(write(META, '{"a": ' * 10000 + "1" + "}" * 10000), META,
                                      ("F001",)),
    "cmr-10000-nested-flow": Case(write(CMR, "deps: " + nested(10000) + "\n"), CMR,
                                  ("F001",)),
    # size
    "result-200-mib-sparse": Case(sparse_file(RESULT, 200 * 2**20), RESULT, ("F009",),
                                  located=False),
    "result-huge-single-line": Case(write(RESULT, ONE_LINE), RESULT, ("F004",),
                                    at=(1, ONE_LINE.index("NaN") + 1)),
    "result-1mib-key": row_case('"notes": ""', '"' + "k" * 2**20 + '": ""', ("R001",)),
    # wrong kinds at every level
    "result-top-string": Case(write(RESULT, '"hello"\n'), RESULT, ("F005",), at=(1, 1)),
    "result-top-object": Case(write(RESULT, dump(ROW)), RESULT, ("F005",)),
    "result-top-number": Case(write(RESULT, "42\n"), RESULT, ("F005",)),
    "result-top-null": Case(write(RESULT, "null\n"), RESULT, ("F005",)),
    "result-row-string": Case(write(RESULT, '["row"]\n'), RESULT, ("F010",), at=(1, 2)),
    "result-row-array": Case(write(RESULT, "[[1, 2]]\n"), RESULT, ("F010",), at=(1, 2)),
    "result-row-null": Case(write(RESULT, "[\n  null\n]\n"), RESULT, ("F010",), at=(2, 3)),
    "result-row-bool": Case(write(RESULT, "[true, {}]\n"), RESULT, ("F010",), at=(1, 2)),
    "result-field-object": row_case('"Result": 1250.5', '"Result": {"value": 1}', ("R001",),
                                    needle='{"value"'),
    "result-field-array": row_case('"Scenario": "Offline"', '"Scenario": ["Offline"]',
                                   ("R001",), needle='["Offline"]'),
    "result-uid-object": row_case('"uid": "1a2b3c4d5e6f7081"', '"uid": {"a": [1]}', ("R001",),
                                  needle='{"a"'),
    "result-version-number": row_case('"version": "v4.0"', '"version": 4.0', ("R001",),
                                      needle="4.0\n"),
    "meta-top-string": Case(write(META, '"meta"\n'), META, ("M010",)),
    "meta-top-array": Case(write(META, "[1, 2]\n"), META, ("M010",)),
    "meta-tags-string": meta_case('"tags": [', '"tags": "mlperf", "x": [', ("M010",),
                                  needle='"mlperf", "x"'),
    "meta-tags-objects": meta_case('"mlperf",', '{"tag": "mlperf"},', ("M010",),
                                   needle='{"tag"'),
    "meta-alias-object": meta_case(f'"alias": "{ALIAS}"', '"alias": {"name": 1}', ("M010",),
                                   needle='{"name"'),
    "cmr-top-string": Case(write(CMR, "just a string\n"), CMR, ("C001",)),
    "cmr-top-list": Case(write(CMR, "- alias: a\n- uid: b\n"), CMR, ("C001",)),
    "cmr-deps-string": Case(write(CMR, CMR_TEXT + "deps: mlcommons@ck\n"), CMR, ("C001",),
                            at=(4, 7)),
    "cmr-deps-items-strings": Case(write(CMR, CMR_TEXT + "deps:\n  - mlcommons@ck\n"), CMR,
                                   ("C001",), at=(5, 5)),
    "cmr-alias-mapping": Case(write(CMR, "alias:\n  a: 1\nuid: 0123456789abcdef\n"), CMR,
                              ("C001",), at=(2, 3)),
    # folders and special files where a file belongs
    "folder-named-cm-result-json": Case(folder_instead(RESULT), RESULT, ("F009",),
                                        located=False),
    "folder-named-cm-json": Case(folder_instead(META), META, ("F009",), located=False),
    "folder-named-cm-yaml": Case(folder_instead(META_YAML), META_YAML, ("F009",),
                                 located=False),
    "result-fifo": Case(fifo(RESULT), RESULT, ("F009",), located=False),
    "meta-fifo": Case(fifo(META), META, ("F009",), located=False),
    "result-dangling-link": Case(link(RESULT, "missing.json"), RESULT, ("F009",),
                                 located=False),
    "meta-dangling-link": Case(link(META, "missing.json"), META, ("F009",), located=False),
    # symbolic link loops
    "result-link-loop-self": Case(link(RESULT, "cm-result.json"), RESULT, ("F009",),
                                  located=False),
    "meta-link-loop-pair": Case(both(link(META, "_cm.yaml"), link(META_YAML, "_cm.json")),
                                META, ("F009",), located=False),
    "experiment-link-loop": Case(link(EXP, ALIAS), f"{EXP}/", ("F009",), located=False),
    "timestamp-link-loop": Case(link(f"{EXP}/{TS}", TS), RESULT, ("F009",), located=False),
    "timestamp-dangling-link": Case(link(f"{EXP}/{TS}", "gone"), RESULT, ("F009",),
                                    located=False),
    # links that leave the repository
    "result-link-outside": Case(link(RESULT, outside_file(ROWS_TEXT)), RESULT, ("F009",),
                                located=False),
    "meta-link-outside": Case(link(META, outside_file(META_TEXT)), META, ("F009",),
                              located=False),
    "cmr-link-outside": Case(link(CMR, outside_file(CMR_TEXT + "prefix: ../x\n")), CMR,
                             ("F009",), located=False),
    "result-link-to-device": Case(link(RESULT, "/dev/zero"), RESULT, ("F009",),
                                  located=False),
    "experiment-link-outside": Case(link(EXP, outside_folder), f"{EXP}/", ("F009",),
                                    located=False),
    "timestamp-link-outside": Case(link(f"{EXP}/{TS}", lambda r: outside_folder(r) / TS),
                                   RESULT, ("F009",), located=False),
    "experiment-root-link-outside": Case(
        link("experiment", lambda r: outside_folder(r).parent), f"{EXP}/", ("F009",),
        located=False),
    "cmr-prefix-leaves-repository": Case(
        both(write(CMR, CMR_TEXT + "prefix: ../outside\n"),
             lambda r: (outside_folder(r).parent / "experiment").mkdir(),
             lambda r: os.rename(r.parent / "outside" / ALIAS,
                                 r.parent / "outside" / "experiment" / ALIAS)),
        f"../outside/{EXP}/", ("F009",), located=False),
    # hostile names
    "experiment-name-spaces": renamed_experiment("mlperf inference v4.0"),
    "experiment-name-newline": renamed_experiment("mlperf-inference\n--v4.0"),
    "experiment-name-non-ascii": renamed_experiment("mlperf-inférence--v4.0--edge--closed--"
                                                    "image-classification--offline—✓"),
    "experiment-name-invalid-utf8": renamed_experiment(
        os.fsdecode(b"mlperf-inference--v4.0--\xff")),
    "timestamp-name-spaces": renamed_timestamp("2024-03-01 10-20-30"),
    "timestamp-name-newline": renamed_timestamp("2024-03-01\n10-20-30.123456"),
    "timestamp-name-non-ascii": renamed_timestamp(
        "\uff12\uff10\uff12\uff14-03-01.10-20-30.123456"),
    # CRLF line endings: positions stay right
    "result-crlf-nan": Case(write(RESULT, CRLF_NAN), RESULT, ("F004",),
                            at=position(CRLF_NAN, "NaN")),
    "meta-crlf-duplicate-key": Case(write(META, CRLF_DUP_META), META, ("F003",),
                                    at=position(CRLF_DUP_META, '"uid": "00000000000000a2"')),
    "result-crlf-schema": Case(write(RESULT, CRLF_SCHEMA), RESULT, ("R001",),
                               at=position(CRLF_SCHEMA, '{"a": 1}')),
    "cmr-crlf-schema": Case(write(CMR, "alias: acme@x\r\nuid: NOTHEX\r\n"), CMR, ("C001",),
                            at=(2, 6)),
    # both metas, conflicting
    "meta-json-yaml-conflict": Case(write(META_YAML, YAML_CONFLICT), META, ("M011",)),
    "meta-yaml-invalid-beside-json": Case(write(META_YAML, "alias: [unclosed\n"), META_YAML,
                                          ("F001",), at=(2, 1)),
    # YAML hostility
    "meta-yaml-bomb": Case(only_yaml_meta(META_YAML_TEXT.split("tags:")[0] + yaml_bomb("tags")
                                          + "uid: 00000000000000a1\n"), META_YAML, ("F001",)),
    "cmr-yaml-bomb": Case(write(CMR, CMR_TEXT + yaml_bomb("deps")), CMR, ("F001",)),
    "cmr-yaml-alias-cycle": Case(write(CMR, CMR_TEXT + "deps: &loop [*loop]\n"), CMR,
                                 ("C001",)),
    "meta-yaml-alias-cycle": Case(only_yaml_meta(META_YAML_TEXT.replace(
        "tags:\n- mlperf", "tags: &me [*me]\nx:\n- mlperf")), META_YAML, ("M010",)),
    "meta-yaml-10000-nested-blocks": Case(only_yaml_meta("".join(
        " " * level + f"k{level}:\n" for level in range(10000)) + " " * 10000 + "k: 1\n"),
        META_YAML, ("F001",)),
    "cmr-invalid-yaml-tab": Case(write(CMR, "alias: acme\n\tuid: 1\n"), CMR, ("F001",)),
    "cmr-unclosed-flow": Case(write(CMR, "deps: [{alias: a\n"), CMR, ("F001",)),
    "cmr-two-documents": Case(write(CMR, CMR_TEXT + "---\nalias: b\n"), CMR, ("F001",)),
    "cmr-python-tag": Case(write(CMR, CMR_TEXT + "deps: !!python/object:os.system [ls]\n"),
                           CMR, ("C001", "F001")),
    "meta-yaml-scalar": Case(write(META_YAML, "just text\n"), META_YAML, ("M010",)),
    # binary garbage and malformed JSON
    "result-random-bytes": Case(write(RESULT, garbage(1)), RESULT, ("F001", "F002")),
    "result-png-header": Case(write(RESULT, b"\x89PNG\r\n\x1a\n" + garbage(2, 256)), RESULT,
                              ("F001", "F002")),
    "meta-nul-bytes": Case(write(META, b"\x00" * 64), META, ("F001",)),
    "cmr-random-bytes": Case(write(CMR, garbage(3)), CMR, ("F001", "F002")),
    "result-control-character": row_case('"Zeta Box One"', '"Zeta\x01Box"', ("F001",),
                                         needle="\x01"),
    "result-trailing-garbage": Case(write(RESULT, ROWS_TEXT + "xyz\n"), RESULT, ("F001",),
                                    at=position(ROWS_TEXT + "xyz", "xyz")),
    "result-trailing-comma": Case(write(RESULT, "[{}, ]\n"), RESULT, ("F001",)),
    "result-comment": Case(write(RESULT, "// rows\n" + ROWS_TEXT), RESULT, ("F001",),
                           at=(1, 1)),
    "result-single-quotes": Case(write(RESULT, "[{'uid': 'x'}]\n"), RESULT, ("F001",)),
}


def _findings(result: Any) -> list[dict[str, Any]]:
    return list(json.loads(result.stdout)) if result.stdout.strip() else []


def _check(case: Case, exit_code: int, stdout: str, stderr: str, root: Path) -> None:
    output = stdout + stderr
    assert "Traceback" not in output, output[-3000:]
    assert "internal error" not in output, output[-3000:]
    assert exit_code == case.exit_code, output[-3000:]
    findings = json.loads(stdout) if stdout.strip() else []
    mine = [f for f in findings if f["path"] == case.path and f["code"] in case.codes]
    assert mine, f"no {case.codes} on {case.path!r}; got " + repr(
        sorted({(f["path"], f["code"]) for f in findings}))[:3000]
    if case.at is not None:
        assert any((f["line"], f["column"]) == case.at for f in mine), mine[:3]
    elif case.located:
        assert all(f["line"] > 0 and f["column"] > 0 for f in mine), mine[:3]


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    root = base(tmp_path / "repo")
    case.build(root)
    result = CliRunner().invoke(lint_command, [str(root), "--output-format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exc_info)
    _check(case, result.exit_code, result.stdout, result.stderr, root)


UNREADABLE = {"result": RESULT, "meta": META, "cmr": CMR}


@pytest.mark.parametrize("which", sorted(UNREADABLE))
def test_unreadable_file(which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permissions do not stop root, so the read itself is made to fail, at every way a file
    can be opened."""
    root = base(tmp_path / "repo")
    target = os.path.realpath(root / UNREADABLE[which])

    def guard(real: Callable[..., Any]) -> Callable[..., Any]:
        def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, (str, Path)) and os.path.realpath(file) == target:
                raise PermissionError(13, "Permission denied", str(file))
            return real(file, *args, **kwargs)
        return deny

    monkeypatch.setattr(os, "open", guard(os.open))
    monkeypatch.setattr(builtins, "open", guard(builtins.open))
    monkeypatch.setattr(Path, "open", guard(Path.open))
    monkeypatch.setattr(Path, "read_text", guard(Path.read_text))
    monkeypatch.setattr(Path, "read_bytes", guard(Path.read_bytes))
    result = CliRunner().invoke(lint_command, [str(root), "--output-format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    case = Case(lambda r: None, UNREADABLE[which], ("F009",), located=False)
    _check(case, result.exit_code, result.stdout, result.stderr, root)
    assert any("Permission denied" in f["message"] for f in json.loads(result.stdout))


def test_inside_links_are_read(tmp_path: Path) -> None:
    """A link that stays inside the repository is an ordinary file, not a finding."""
    root = base(tmp_path / "repo")
    other = root / EXP / "2024-03-02.10-20-30.123456"
    other.mkdir()
    os.symlink(f"../{TS}/cm-result.json", other / "cm-result.json")
    result = CliRunner().invoke(lint_command, [str(root), "--output-format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert not [f for f in _findings(result) if f["code"] == "F009"]


def test_outside_content_never_reported(tmp_path: Path) -> None:
    """Nothing read through a link that leaves the repository shows up in the findings."""
    root = base(tmp_path / "repo")
    secret = rows_with('"Result": 1250.5', '"Result": "SECRET-VALUE"')
    link(f"{EXP}/{TS}", lambda r: outside_folder(r) / TS)(root)
    (root.parent / "outside" / ALIAS / TS / "cm-result.json").write_text(secret)
    result = CliRunner().invoke(lint_command, [str(root), "--output-format", "json"])
    assert "SECRET-VALUE" not in result.output
    assert result.exit_code == 1


def test_lint_of_a_missing_path_is_an_error(tmp_path: Path) -> None:
    root = base(tmp_path / "repo")
    missing = root / EXP / "nope.json"
    result = CliRunner().invoke(lint_command, [str(missing)])
    assert result.exit_code == 2
    assert "nope.json" in result.stderr and "Traceback" not in result.output


def test_lint_outside_any_repository_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "lonely.json").write_text("[]\n")
    result = CliRunner().invoke(lint_command, [str(tmp_path / "lonely.json")])
    assert result.exit_code == 2
    assert "lonely.json" in result.stderr and "Traceback" not in result.output


SUBPROCESS_CASES = ["result-truncated-in-row", "result-utf16-le", "result-10000-nested-arrays",
                    "experiment-name-invalid-utf8", "result-lone-surrogate-escape",
                    "timestamp-link-outside"]


ENTRY_POINT_RUNS = [
    pytest.param(name, output_format, id=f"{output_format}-{name}")
    for name in SUBPROCESS_CASES for output_format in ("text", "json")]


@pytest.mark.parametrize(("name", "output_format"), ENTRY_POINT_RUNS)
def test_real_entry_point(name: str, output_format: str, tmp_path: Path) -> None:
    """The installed module entry point, with a real stdout encoding, as pre-commit runs it."""
    case = CASES[name]
    root = base(tmp_path / "repo")
    case.build(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONIOENCODING")}
    proc = subprocess.run([sys.executable, "-m", "mlperf_repo_tools", "--output-format",
                           output_format, "."], cwd=root, capture_output=True, check=False,
                          env=env)
    stdout = proc.stdout.decode("utf-8", "replace")
    stderr = proc.stderr.decode("utf-8", "replace")
    if output_format == "json":
        _check(case, proc.returncode, stdout, stderr, root)
        return
    assert proc.returncode == case.exit_code and "Traceback" not in stdout + stderr, stderr
    shown = case.path if case.path.isprintable() else case.path.split("\n")[0]
    assert shown.split("\udcff")[0] in stdout, stdout[-2000:]


def test_at_least_sixty_cases() -> None:
    assert len(CASES) + len(UNREADABLE) + len(SUBPROCESS_CASES) >= 60


def test_max_file_bytes_is_below_the_memory_goal() -> None:
    """A file at the size limit, as text and rows, must fit the 300 MB memory goal."""
    assert loading.MAX_FILE_BYTES <= 64 * 2**20


def test_loading_from_two_threads_keeps_each_files_findings(tmp_path: Path) -> None:
    """The JSON decoder is reused (one per thread): a load in one thread must not clear what
    the decoder noticed in another's file."""
    import threading

    from mlperf_repo_tools.loading import load_json

    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps([{"uid": f"{i:016x}", "a": i, "b": [1, {"c": 2}]}
                                 for i in range(3000)]))
    bad = tmp_path / "bad.json"
    bad.write_text("[" + ", ".join('{"a": NaN}' if i % 50 == 0 else '{"a": 1}'
                                   for i in range(3000)) + "]")
    wrong: list[str] = []

    def load(path: Path, expected: bool) -> None:
        for _ in range(10):
            doc = load_json(path, path.name, None, rows=True)
            if any(i.code == "F004" for i in doc.issues) != expected:
                wrong.append(path.name)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=load, args=(clean, False)),
                   threading.Thread(target=load, args=(bad, True))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old)
    assert wrong == []
