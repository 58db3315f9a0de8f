"""M: experiment metas (`_cm.json`, `_cm.yaml`), aliases, uids, timestamp folders and tags."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from mlperf_repo_tools.alias import AGGREGATE_VERSION, expected_tags, parse_alias
from mlperf_repo_tools.context import ExperimentContext
from mlperf_repo_tools.findings import Problem, Severity
from mlperf_repo_tools.rules import rule
from mlperf_repo_tools.schemas import document_errors
from mlperf_repo_tools.vocabulary import did_you_mean, load_vocabularies

# ASCII digits only, and no trailing newline (`$` would accept one): matched with fullmatch.
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}\.\d{2}-\d{2}-\d{2}(\.\d{6})?(\.\d+)?", re.ASCII)
# Meta keys with a rule of their own; the schema rule leaves them alone.
_DEDICATED = {"uid", "alias"}


def _meta_alias(exp: ExperimentContext) -> str | None:
    alias = (exp.meta or {}).get("alias")
    return alias if isinstance(alias, str) else None


def _alias_place(exp: ExperimentContext) -> tuple[tuple[str, ...], str | None]:
    """Where a problem of the checked alias is reported: the meta's `alias` value, or the
    experiment folder when the alias checked is the folder name (no meta alias to point at)."""
    if _meta_alias(exp) is not None:
        return ("alias",), None
    return (), exp.folder.relpath + "/"


@rule("M010", "meta-schema", scope="experiment")
def meta_schema(exp: ExperimentContext) -> Iterator[Problem]:
    """The experiment meta does not match `schemas/experiment-meta.schema.json`.

    Why: cmind relies on `automation_alias`/`automation_uid` to know the folder is an
    experiment, and on `tags` being a list to search it.

    Fails: `{"alias": "...", "automation_alias": "script", "tags": "mlperf,inference"}`
    Passes: `{"alias": "...", "automation_alias": "experiment",
    "automation_uid": "a0a2d123ef064bcb", "tags": ["mlperf"], "uid": "4a5edcc2e67f4451"}`
    """
    if exp.meta is None:
        return
    for error in document_errors("experiment-meta", exp.meta):
        if error.parts and error.parts[0] in _DEDICATED and error.keyword != "type":
            continue
        yield Problem(error.parts, error.message)


@rule("M001", "alias-folder-mismatch", scope="experiment")
def alias_folder_mismatch(exp: ExperimentContext) -> Iterator[Problem]:
    """The meta's `alias` differs from the experiment's folder name.

    Why: CM finds experiments by the alias in the meta, people and scripts by the folder
    name; when they differ, the two find different things.

    Fails: folder `mlperf-tiny--v1.1--closed--kws` with `"alias": "mlperf-tiny--v1.1--closed--kwc"`
    Passes: folder and alias both `mlperf-tiny--v1.1--closed--kws`
    """
    alias = _meta_alias(exp)
    if alias is not None and alias != exp.folder.name:
        yield Problem(("alias",), f"alias '{alias}' differs from folder name '{exp.folder.name}'")


@rule("M002", "alias-grammar", scope="experiment")
def alias_grammar(exp: ExperimentContext) -> Iterator[Problem]:
    """The alias does not follow its family's grammar.

    Inference aliases have 6 `--`-separated parts
    (`mlperf-inference--VERSION--CATEGORY--DIVISION--TASK--SCENARIO`), tiny and training 4
    (`mlperf-tiny--VERSION--DIVISION--BENCHMARK`, `mlperf-training--VERSION--DIVISION--TASK`).
    Inference and tiny versions are `vX.Y`, training versions bare `X.Y`; `all` marks an
    aggregate.

    Why: tags, queries and every consistency check derive from the alias parts.

    Fails: `mlperf-inference--v4.1--edge--closed--image-classification`,
    `mlperf-training--v3.0--closed--image-classification`
    Passes: `mlperf-inference--v4.1--edge--closed--image-classification--offline`,
    `mlperf-training--3.0--closed--image-classification`
    """
    text = _meta_alias(exp) or exp.folder.name
    alias = parse_alias(text)
    where, path = _alias_place(exp)
    if alias.vocab is None:
        prefixes = ", ".join(v.prefix for v in load_vocabularies().values())
        yield Problem(where, f"alias '{text}' starts with none of {prefixes}", path=path)
        return
    expected = len(alias.vocab.alias_parts) + 1
    if len(alias.parts) + 1 != expected:
        shape = "--".join([alias.vocab.prefix, *(p.upper() for p in alias.vocab.alias_parts)])
        yield Problem(where, f"alias has {len(alias.parts) + 1} parts, expected {expected}: "
                      f"{shape}", path=path)
        return
    version = alias.version or ""
    if version != AGGREGATE_VERSION and not re.match(alias.vocab.version_pattern, version):
        style = "vX.Y" if alias.vocab.version_pattern.startswith("^v") else "X.Y (no 'v')"
        yield Problem(where, f"{alias.family} version '{version}' is not written {style}",
                      path=path)


@rule("M003", "alias-unknown-part", scope="experiment", unsafe_fix=True)
def alias_unknown_part(exp: ExperimentContext) -> Iterator[Problem]:
    """An alias part is not in the family's vocabulary (`schemas/vocabulary/`).

    Why: a misspelt part (`languge-processing`) splits one experiment into two, so queries
    by the correct tag miss half the results. The fix merges the folder into its correct twin.

    Fails: `mlperf-inference--v4.1--datacenter--closed--languge-processing--offline`
    Passes: `mlperf-inference--v4.1--datacenter--closed--language-processing--offline`
    """
    text = _meta_alias(exp) or exp.folder.name
    alias = parse_alias(text)
    if not alias.complete or alias.vocab is None:
        return
    where, path = _alias_place(exp)
    for name, value in alias.fields.items():
        if name == "version":
            known = [AGGREGATE_VERSION, *alias.vocab.data["rounds"]]
        else:
            known = alias.vocab.part_values(name)
        if value not in known:
            yield Problem(where, f"unknown {alias.family} {name} '{value}'"
                          f"{did_you_mean(value, known)}", path=path)


@rule("M006", "timestamp-folder-format", scope="experiment")
def timestamp_folder_format(exp: ExperimentContext) -> Iterator[Problem]:
    """A folder inside an experiment is not named like a CM timestamp.

    CM names each import `YYYY-MM-DD.HH-MM-SS.ffffff` (the fraction may be missing, and a
    `.N` suffix is added when the name is taken).

    Why: CM and the playground read results from timestamp folders; a stray folder is either
    misplaced data or a typo that tools will mis-sort.

    Fails: `2023-09-12T12:35:19`, `results`
    Passes: `2023-09-12.12-35-19.934300`, `2023-09-12.12-35-19.934300.1`
    """
    for ts in exp.folder.timestamps:
        if not TIMESTAMP.fullmatch(ts.name):
            yield Problem((), f"folder '{ts.name}' is not a timestamp "
                          "(YYYY-MM-DD.HH-MM-SS.ffffff)", path=ts.relpath + "/")


def _tags(exp: ExperimentContext) -> tuple[list[str], list[str]] | None:
    tags = (exp.meta or {}).get("tags")
    alias = parse_alias(_meta_alias(exp) or exp.folder.name)
    expected = expected_tags(alias)
    if not isinstance(tags, list) or expected is None:
        return None
    return [t for t in tags if isinstance(t, str)], expected


@rule("M007", "tags-missing", scope="experiment", fixable=True)
def tags_missing(exp: ExperimentContext) -> Iterator[Problem]:
    """A tag required by the tag convention is missing.

    The convention: `mlperf`, then every alias part in order, then the family tag
    (`inference`, `tiny`, `training`), then `power` for a `*-power` division and `network`
    for `closed-network`.

    Why: `cm find experiment --tags=...` matches tags exactly; a missing tag hides the
    experiment from every query that uses it.

    Fails: alias `mlperf-inference--v4.0--edge--closed-power--image-classification--offline`
    with tags lacking `inference` and `power`.
    Passes: `["mlperf", "mlperf-inference", "v4.0", "edge", "closed-power",
    "image-classification", "offline", "inference", "power"]`
    """
    pair = _tags(exp)
    if pair is None:
        return
    tags, expected = pair
    missing = [t for t in expected if t not in tags]
    if missing:
        yield Problem(("tags",), "missing tag" + ("s " if len(missing) > 1 else " ")
                      + ", ".join(f"'{t}'" for t in missing))


@rule("M008", "tags-extra", scope="experiment", fixable=True)
def tags_extra(exp: ExperimentContext) -> Iterator[Problem]:
    """A tag is repeated, or is not part of the tag convention.

    Why: a stray tag (a typo, a part of another alias) makes the experiment match queries it
    does not belong to.

    Fails: `["mlperf", "mlperf-tiny", "v1.1", "closed", "kws", "tiny", "kws"]`
    Passes: `["mlperf", "mlperf-tiny", "v1.1", "closed", "kws", "tiny"]`
    """
    pair = _tags(exp)
    if pair is None:
        return
    _, expected = pair
    counts: dict[str, int] = defaultdict(int)
    # Index the meta's own list: a non-text tag (reported by M010) still takes a place in it.
    for index, tag in enumerate((exp.meta or {}).get("tags", [])):
        if not isinstance(tag, str):
            continue
        counts[tag] += 1
        if counts[tag] == 2:
            yield Problem(("tags", index), f"tag '{tag}' is repeated")
        elif tag not in expected:
            yield Problem(("tags", index), f"tag '{tag}' is not part of the tag convention")


@rule("M009", "tags-order", scope="experiment", severity=Severity.WARNING, fixable=True)
def tags_order(exp: ExperimentContext) -> Iterator[Problem]:
    """The convention's tags are present but out of order.

    Why: the order is what lets a reader (and the CK playground's selector, which joins the
    tags) recognize the alias parts; sorted or shuffled tags read as another experiment.

    Fails: `["mlperf", "v1.1", "mlperf-tiny", "closed", "kws", "tiny"]`
    Passes: `["mlperf", "mlperf-tiny", "v1.1", "closed", "kws", "tiny"]`
    """
    pair = _tags(exp)
    if pair is None:
        return
    tags, expected = pair
    present = [t for t in dict.fromkeys(tags) if t in expected]
    wanted = [t for t in expected if t in present]
    if present != wanted:
        yield Problem(("tags",), "tags out of order: expected " + ", ".join(wanted))


@rule("M011", "meta-json-yaml-conflict", scope="experiment")
def meta_json_yaml_conflict(exp: ExperimentContext) -> Iterator[Problem]:
    """An experiment has both `_cm.json` and `_cm.yaml`, and they disagree on a key.

    Why: cmind loads the YAML, then lets the JSON's top-level keys override it; the YAML
    value of a conflicting key is dead text that misleads whoever edits it.

    Fails: `_cm.yaml` with `uid: 4a5edcc2e67f4451` beside `_cm.json` with another uid.
    Passes: only one of the two files, or both agreeing on every shared key.
    """
    docs = {d.relpath.rsplit(".", 1)[-1]: d for d in exp.meta_docs if d.ok}
    json_doc, yaml_doc = docs.get("json"), docs.get("yaml")
    if json_doc is None or yaml_doc is None:
        return
    if not isinstance(json_doc.data, dict) or not isinstance(yaml_doc.data, dict):
        return
    for key, value in json_doc.data.items():
        if key in yaml_doc.data and _plain(yaml_doc.data[key]) != value:
            yield Problem((key,), f"'{key}' differs between _cm.json and _cm.yaml; cmind uses "
                          "the _cm.json value", path=json_doc.relpath,
                          related=[(yaml_doc.relpath, (key,), "_cm.yaml value")])


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


UID = re.compile(r"[0-9a-f]{16}")  # matched with fullmatch: no trailing newline


@rule("M004", "uid-format", scope="experiment")
def uid_format(exp: ExperimentContext) -> Iterator[Problem]:
    """The experiment's `uid` is not 16 lowercase hexadecimal digits.

    Why: cmind generates uids as `uuid4().hex[:16]` and matches objects by them; other
    shapes are not recognized as uids by `cm find` and the playground's links.

    Fails: `"uid": "4A5EDCC2E67F4451"`, `"uid": "4a5edcc2"`
    Passes: `"uid": "4a5edcc2e67f4451"`
    """
    uid = (exp.meta or {}).get("uid")
    if isinstance(uid, str) and not UID.fullmatch(uid):
        yield Problem(("uid",), f"uid '{uid}' is not 16 lowercase hexadecimal digits")


@rule("M005", "uid-duplicate", scope="repository")
def uid_duplicate(experiments: list[ExperimentContext]) -> Iterator[Problem]:
    """Two experiments share one `uid`.

    Why: CM resolves an experiment by uid before alias; with a shared uid, queries and
    playground links land on either experiment at random.

    Fails: two `_cm.json` files with `"uid": "4a5edcc2e67f4451"`.
    Passes: every experiment with its own uid.
    """
    by_uid: dict[str, list[ExperimentContext]] = defaultdict(list)
    for exp in experiments:
        uid = (exp.meta or {}).get("uid")
        if isinstance(uid, str):
            by_uid[uid].append(exp)
    for uid, group in by_uid.items():
        if len(group) < 2:
            continue
        for exp in group:
            doc = exp.meta_doc_for("uid")
            if doc is None:
                continue
            others = [(d.relpath, ("uid",), "same uid")
                      for o in group if o is not exp and (d := o.meta_doc_for("uid"))]
            yield Problem(("uid",), f"uid '{uid}' is also used by {len(group) - 1} other "
                          "experiment" + ("s" if len(group) > 2 else ""),
                          path=doc.relpath, related=others)
