"""Shared builders of small, valid results repositories for the rule tests.

Every value here is invented; the shapes follow `schemas/*.json`, `schemas/vocabulary/*.json`
and the rows of the real repository. A repository built from the default rows lints clean
(no finding of any rule), which `test_rules_files.py` asserts for each family, so a failing
fixture differs from a clean one by exactly the change the test makes.

Files are written the way the real repository writes them: UTF-8, two-space indentation,
sorted keys, a final newline. `position` finds where a finding must point by searching the
written text, independently of the linter's own position code.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from mlperf_repo_tools.engine import lint_paths
from mlperf_repo_tools.findings import Finding

TS = "2024-03-01.10-20-30.123456"
REPO_META = "alias: acme@test-results\nuid: 0123456789abcdef\ngit: true\n"
AUTOMATION_UID = "a0a2d123ef064bcb"

INFERENCE_ALIAS = "mlperf-inference--v4.0--edge--closed--image-classification--offline"
INFERENCE_POWER_ALIAS = (
    "mlperf-inference--v4.0--edge--closed-power--image-classification--offline")
INFERENCE_V41_ALIAS = "mlperf-inference--v4.1--edge--closed--image-classification--offline"
TINY_ALIAS = "mlperf-tiny--v1.1--closed--kws"
TRAINING_ALIAS = "mlperf-training--3.0--closed--image-classification"

# The tag convention, written out independently of the linter: 'mlperf', the alias parts in
# order, the family tag, then 'power' / 'network' as the division says.
_FAMILY_TAGS = {"mlperf-inference": "inference", "mlperf-tiny": "tiny",
                "mlperf-training": "training"}
_DIVISION_TAGS = {"closed-power": ["power"], "open-power": ["power"],
                  "closed-network": ["network"]}

Rows = list[Any] | str | bytes | None


def tags_for(alias: str) -> list[str]:
    parts = alias.split("--")
    family = _FAMILY_TAGS.get(parts[0])
    tags = ["mlperf", *parts, *([family] if family else [])]
    if parts[0] == "mlperf-inference" and len(parts) > 3:
        tags.extend(_DIVISION_TAGS.get(parts[3], []))
    return tags


def inference_row(uid: str = "1a2b3c4d5e6f7081", version: str = "v4.0",
                  power: bool = False, **changes: Any) -> dict[str, Any]:
    """A resnet Offline row of an edge closed system (merged power data when ``power``)."""
    location = "closed/Zeta/results/zbox_1/resnet/Offline"
    git_url = f"https://github.com/mlcommons/inference_results_{version}"
    row: dict[str, Any] = {
        "Accuracy": 76.05, "Accuracy_div_100": 0.7605, "Availability": "available",
        "Division": "closed", "Location": location, "MlperfModel": "resnet", "Model": "resnet",
        "Organization": "Zeta", "Platform": "zbox_1", "Result": 1250.5,
        "Result_Units": "Samples/s", "Scenario": "Offline", "SystemName": "Zeta Box One",
        "SystemType": "edge", "Units": "Samples/s", "accelerator_model_name": "Zeta NPU 2",
        "accelerators_per_node": 2, "compliance": 1, "errors": 0, "framework": "ZetaRT 3.2",
        "git_url": git_url, "has_power": power, "host_processor_core_count": 12,
        "host_processor_model_name": "Zeta CPU 12C", "host_processors_per_node": 1,
        "inferred": 0, "notes": "", "number_of_nodes": 1, "operating_system": "Linux 6.1",
        "uid": uid, "url": f"{git_url}/tree/master/{location}", "version": version,
    }
    if power:
        row.update({"Result_Power": 41.3, "Result_Power_Units": "Watts",
                    "Inference_per_Joule": 1250.5 / 41.3})
    row.update(changes)
    return row


def tiny_row(uid: str = "2b3c4d5e6f708192", **changes: Any) -> dict[str, Any]:
    """A keyword-spotting row of tiny v1.1, closed division."""
    row: dict[str, Any] = {
        "Accuracy": 91.4, "Benchmark": "kws", "Board Name": "ZB-100", "Division": "closed",
        "Model": "dscnn", "Operating System": "bare metal", "Organization": "zeta",
        "Result": 48.25, "Status": "available", "Submitter": "Zeta Labs", "_Accuracy": 91.4,
        "_Result": 48.25, "__Model": "dscnn", "__Organization": "zeta",
        "__System": "ZB_100", "__version": "v1.1", "accuracy_Top-1": 91.4,
        "git_url": "https://github.com/mlcommons/tiny_results_v1.1/tree/master/closed/zeta",
        "median_throughput": 48.25, "median_throughput_metric": "inf./sec.", "uid": uid,
        "version": "v1.1",
    }
    row.update(changes)
    return row


def training_row(uid: str = "3c4d5e6f708192a3", **changes: Any) -> dict[str, Any]:
    """A resnet row of training 3.0, closed division."""
    result = 61.25
    row: dict[str, Any] = {
        "Accuracy": 75.9, "Accuracy_Metric": "% classification",
        "Benchmark": "image-classification", "Dataset": "ImageNet", "Model_ID": "resnet",
        "Organization": "Zeta", "Result": result, "Result_Units": "min.",
        "Task": "image-classification", "_Accuracy": 75.9,
        "_Accuracy_Metric": "% classification", "_Dataset": "ImageNet", "_Model_ID": "resnet",
        "_Organization": "Zeta", "_Result": result, "_Result_Units": "min.",
        "_System": "zeta-box-8", "_Task": "image-classification", "_version": "3.0",
        "accelerators_count": 8, "availability": "available", "division": "closed",
        "git_url": "https://github.com/mlcommons/training_results_v3.0",
        "host_processors_count": 2, "resnet": result, "submitter": "Zeta",
        "system": "zeta-box-8", "uid": uid, "version": "3.0",
    }
    row.update(changes)
    return row


def aggregate_alias(alias: str) -> str:
    """The `all` aggregate of a per-version alias (the version is the second part)."""
    parts = alias.split("--")
    parts[1] = "all"
    return "--".join(parts)


def with_aggregates(experiments: dict[str, Rows]) -> dict[str, Rows]:
    """The experiments plus, for the per-version ones, their `all` aggregates holding copies
    of the same rows (a repository without them has X010 findings). Aggregates given in
    ``experiments`` are kept as they are."""
    result = dict(experiments)
    built: dict[str, list[Any]] = {}
    for alias, rows in experiments.items():
        target = aggregate_alias(alias)
        if alias != target and target not in experiments and isinstance(rows, list):
            built.setdefault(target, []).extend(copy.deepcopy(rows))
    result.update(built)
    return result


def meta_for(folder: str, uid: str, /, **changes: Any) -> dict[str, Any]:
    """The valid meta of the experiment in ``folder``, with ``changes`` (such as ``alias``)."""
    meta: dict[str, Any] = {"alias": folder, "automation_alias": "experiment",
                            "automation_uid": AUTOMATION_UID, "tags": tags_for(folder),
                            "uid": uid}
    meta.update(changes)
    return meta


def dump(data: Any) -> str:
    """JSON the way the repository writes it."""
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_repo(root: Path, experiments: dict[str, Rows],
               metas: dict[str, dict[str, Any] | str | None] | None = None,
               repo_meta: str | None = REPO_META) -> Path:
    """Write `cmr.yaml` and, per alias, `experiment/<alias>/_cm.json` and
    `experiment/<alias>/<TS>/cm-result.json`.

    ``experiments`` maps an alias to its rows (written as JSON), to raw text or bytes (written
    as they are), or to None (no timestamp folder). ``metas`` replaces an experiment's meta
    (a dict is written as JSON, text as it is, None writes no `_cm.json`). Experiment uids are
    distinct: 00000000000000a1, ...a2, ... in alias order.
    """
    root.mkdir(parents=True, exist_ok=True)
    if repo_meta is not None:
        (root / "cmr.yaml").write_text(repo_meta, encoding="utf-8")
    metas = metas or {}
    for number, (alias, rows) in enumerate(experiments.items(), start=1):
        folder = root / "experiment" / alias
        folder.mkdir(parents=True)
        meta = metas.get(alias, meta_for(alias, f"{0xa0 + number:016x}"))
        if isinstance(meta, dict):
            (folder / "_cm.json").write_text(dump(meta), encoding="utf-8")
        elif isinstance(meta, str):
            (folder / "_cm.json").write_text(meta, encoding="utf-8")
        if rows is None:
            continue
        (folder / TS).mkdir()
        target = folder / TS / "cm-result.json"
        if isinstance(rows, bytes):
            target.write_bytes(rows)
        elif isinstance(rows, str):
            target.write_text(rows, encoding="utf-8")
        else:
            target.write_text(dump(rows), encoding="utf-8")
    return root


def meta_rel(alias: str, name: str = "_cm.json") -> str:
    return f"experiment/{alias}/{name}"


def result_rel(alias: str) -> str:
    return f"experiment/{alias}/{TS}/cm-result.json"


def lint(root: Path, select: list[str] | None = None, *paths: Path) -> list[Finding]:
    return lint_paths(list(paths) or [root], select=select or ()).findings


def position(text: str, needle: str, after: bool = False, nth: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the ``nth`` occurrence of ``needle`` in ``text`` (of the
    character just after it with ``after``). Fails loudly when the needle is not there."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    if after:
        offset += len(needle)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def value_position(text: str, key: str, nth: int = 0) -> tuple[int, int]:
    """Where the value of ``"key": value`` starts (the ``nth`` time the key is written)."""
    return position(text, json.dumps(key) + ": ", after=True, nth=nth)


def key_position(text: str, key: str, nth: int = 0) -> tuple[int, int]:
    """Where the key ``"key":`` starts."""
    return position(text, json.dumps(key) + ":", nth=nth)


def row_position(text: str, index: int) -> tuple[int, int]:
    """Where row ``index`` (its opening brace) starts in a file written by `dump`."""
    line, _ = position(text, "\n  {", after=True, nth=index)
    return line, 3


Anchor = tuple[Any, ...]


def anchor_position(text: str, anchor: Anchor) -> tuple[int, int]:
    """Resolve where a finding must point, from the text of the file it points into:

    - ``("value", key[, nth])``: the value of the ``nth`` ``"key": ``;
    - ``("key", key[, nth])``: that key itself;
    - ``("row", index)``: the opening brace of a row;
    - ``("text", needle[, nth])``: the first character of the ``nth`` ``needle``;
    - ``(line, column)``: those numbers, as they are.
    """
    kind = anchor[0]
    if isinstance(kind, int):
        return anchor[0], anchor[1]
    nth = anchor[2] if len(anchor) > 2 else 0
    if kind == "value":
        return value_position(text, anchor[1], nth)
    if kind == "key":
        return key_position(text, anchor[1], nth)
    if kind == "row":
        return row_position(text, anchor[1])
    if kind == "text":
        return position(text, anchor[1], nth=nth)
    raise ValueError(f"unknown anchor {anchor!r}")


def located(findings: list[Finding], code: str) -> list[tuple[str, int, int, str]]:
    """(path, line, column, pointer) of every finding of ``code``."""
    return [(f.location.path, f.location.line, f.location.column, f.location.pointer)
            for f in findings if f.code == code]


def expected_position(root: Path, path: str, anchor: Anchor) -> tuple[int, int]:
    """Where a finding in ``path`` (relative to ``root``) must point, read from the file."""
    target = root / path
    text = target.read_bytes().decode("utf-8", errors="replace") if target.is_file() else ""
    return anchor_position(text, anchor)


def assert_one_finding(root: Path, code: str, path: str, anchor: Anchor, pointer: str,
                       message: str) -> None:
    """Linting ``root`` gives exactly one finding of ``code``, where and as expected."""
    findings = lint(root)
    assert located(findings, code) == [(path, *expected_position(root, path, anchor), pointer)]
    (finding,) = [f for f in findings if f.code == code]
    assert message in finding.message
