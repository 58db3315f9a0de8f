"""mlperf-repo-fix: every fix with a before and an after, format preservation, safety, CLI."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from builders import (
    INFERENCE_ALIAS,
    INFERENCE_POWER_ALIAS,
    INFERENCE_V41_ALIAS,
    TINY_ALIAS,
    TS,
    aggregate_alias,
    dump,
    inference_row,
    lint,
    meta_for,
    result_rel,
    tags_for,
    tiny_row,
    with_aggregates,
    write_repo,
)
from click.testing import CliRunner

from mlperf_repo_tools.fixing import row_fixes, writing
from mlperf_repo_tools.fixing.cli import fix_command
from mlperf_repo_tools.fixing.jsonedit import same_json
from mlperf_repo_tools.fixing.row_fixes import RowFix
from mlperf_repo_tools.fixing.writing import TEMP_MARKER

POWER = INFERENCE_POWER_ALIAS
AGGREGATE = aggregate_alias(POWER)


def run_fix(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(fix_command, [*args, str(root)])
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def result_file(root: Path, alias: str) -> Path:
    return root / "experiment" / alias / TS / "cm-result.json"


def rows_of(root: Path, alias: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(result_file(root, alias).read_text())
    return data


def perf(uid: str = "1a2b3c4d5e6f7081", **changes: Any) -> dict[str, Any]:
    row = inference_row(uid, power=True)
    for key in ("Result_Power", "Result_Power_Units", "Inference_per_Joule"):
        row.pop(key)
    return row | changes


def power(uid: str = "9a8b7c6d5e4f3021", watts: float = 41.3) -> dict[str, Any]:
    return perf(uid, Result=None, Result_Power=watts, Result_Units="Watts", Units="Watts")


def merged(uid: str = "1a2b3c4d5e6f7081") -> dict[str, Any]:
    return inference_row(uid, power=True)


def repo(root: Path, rows: list[dict[str, Any]], alias: str = POWER,
         aggregate: bool = True) -> Path:
    experiments: dict[str, Any] = {alias: rows}
    return write_repo(root, with_aggregates(experiments) if aggregate else experiments)


# --- each fix: before and after -------------------------------------------------------------


def test_clean_repository_is_left_alone(tmp_path: Path) -> None:
    repo(tmp_path, [merged()])
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert run_fix(tmp_path)[0] == 0
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_tags_added_ordered_and_deduplicated(tmp_path: Path) -> None:
    tags = tags_for(POWER)
    shuffled = [tags[2], *tags[:2], *tags[3:-2], tags[3]]  # 'inference', 'power' missing
    meta = meta_for(POWER, "00000000000000a1", tags=shuffled)
    write_repo(tmp_path, with_aggregates({POWER: [merged()]}), metas={POWER: meta})
    assert run_fix(tmp_path)[0] == 1
    meta_path = tmp_path / "experiment" / POWER / "_cm.json"
    assert meta_path.read_text() == dump({**meta, "tags": tags})
    assert [f.code for f in lint(tmp_path)] == []
    assert run_fix(tmp_path)[0] == 0


def test_extra_tag_kept_after_the_convention(tmp_path: Path) -> None:
    meta = meta_for(POWER, "00000000000000a1", tags=["custom", *tags_for(POWER)[:-1]])
    write_repo(tmp_path, with_aggregates({POWER: [merged()]}), metas={POWER: meta})
    run_fix(tmp_path)
    fixed = json.loads((tmp_path / "experiment" / POWER / "_cm.json").read_text())
    assert fixed["tags"] == [*tags_for(POWER), "custom"]
    assert [f.code for f in lint(tmp_path)] == ["M008"]  # not ours to drop


def test_exact_duplicate_rows_dropped(tmp_path: Path) -> None:
    other = merged("5f5f5f5f5f5f5f5f") | {"Result": 999.5, "Inference_per_Joule": 999.5 / 41.3}
    repo(tmp_path, [merged(), other, merged(), merged()])
    assert lint(tmp_path, ["R012"])
    assert run_fix(tmp_path)[0] == 1
    assert result_file(tmp_path, POWER).read_text() == dump([merged(), other])
    assert lint(tmp_path, ["R012"]) == []


def test_split_power_row_merged(tmp_path: Path) -> None:
    repo(tmp_path, [perf(), power()])
    assert {f.code for f in lint(tmp_path)} >= {"X002", "R006"}
    assert run_fix(tmp_path)[0] == 1
    assert result_file(tmp_path, POWER).read_text() == dump([merged()])
    assert rows_of(tmp_path, AGGREGATE) == [merged()]
    assert lint(tmp_path) == []


def test_ambiguous_split_row_is_not_merged(tmp_path: Path) -> None:
    rows = [perf(), perf("7e7e7e7e7e7e7e7e", Result=1300.0), power()]
    repo(tmp_path, rows)
    run_fix(tmp_path)
    assert rows_of(tmp_path, POWER) == rows
    assert "X002" in {f.code for f in lint(tmp_path)}


def test_power_row_that_disagrees_is_not_merged(tmp_path: Path) -> None:
    odd = power() | {"SystemName": "Another Box"}
    repo(tmp_path, [perf(), odd])
    run_fix(tmp_path)
    assert rows_of(tmp_path, POWER) == [perf(), odd]


def test_power_rows_imported_twice_kept_once(tmp_path: Path) -> None:
    twin = power("4d4d4d4d4d4d4d4d")
    write_repo(tmp_path, {POWER: [perf(), power()], AGGREGATE: [perf(), twin, power()]})
    assert "X006" in {f.code for f in lint(tmp_path)}
    assert run_fix(tmp_path)[0] == 1
    # the copy whose uid the per-version experiment also uses is the one kept, then merged
    assert rows_of(tmp_path, AGGREGATE) == [merged()] == rows_of(tmp_path, POWER)
    assert lint(tmp_path) == []


@pytest.mark.parametrize(("scenario", "units", "power_value", "power_units", "expected"), [
    ("Offline", "Samples/s", 41.3, "Watts", 1250.5 / 41.3),
    ("Server", "Queries/s", 41.3, "Watts", 1250.5 / 41.3),
    ("SingleStream", "Latency (ms)", 155.142, "millijoules", 1000 / 155.142),
    ("MultiStream", "Latency (ms)", 155.142, "millijoules", 8000 / 155.142),
])
def test_inference_per_joule_added(tmp_path: Path, scenario: str, units: str,
                                   power_value: float, power_units: str,
                                   expected: float) -> None:
    alias = POWER.replace("offline", scenario.lower())
    location = f"closed/Zeta/results/zbox_1/resnet/{scenario}"
    row = merged() | {"Scenario": scenario, "Units": units, "Result_Units": units,
                      "Result_Power": power_value, "Result_Power_Units": power_units,
                      "Location": location,
                      "url": f"https://github.com/mlcommons/inference_results_v4.0/tree/"
                             f"master/{location}"}
    del row["Inference_per_Joule"]
    repo(tmp_path, [row], alias=alias)
    assert "R008" in {f.code for f in lint(tmp_path)}
    run_fix(tmp_path, "--derive")
    assert rows_of(tmp_path, alias)[0]["Inference_per_Joule"] == expected
    assert result_file(tmp_path, alias).read_text() == dump([row | {
        "Inference_per_Joule": expected}])


def test_wrong_derived_values_corrected_and_orphans_removed(tmp_path: Path) -> None:
    unet = perf(MlperfModel="3d-unet-99", Model="3d-unet-99", Accuracy=0.86112,
                Accuracy_div_100=0.00861)
    orphan = perf("6c6c6c6c6c6c6c6c", Inference_per_Joule=3.5)
    wrong = merged("2e2e2e2e2e2e2e2e") | {"Inference_per_Joule": 30.0}
    rows = [unet, orphan, wrong]
    write_repo(tmp_path, {INFERENCE_ALIAS: rows, POWER: [wrong]})
    assert [f.code for f in lint(tmp_path, ["R009"])].count("R009") == 4
    assert run_fix(tmp_path, "--derive")[0] == 1
    fixed = rows_of(tmp_path, INFERENCE_ALIAS)
    assert fixed[0]["Accuracy_div_100"] == 0.86112
    assert "Inference_per_Joule" not in fixed[1]
    assert fixed[2]["Inference_per_Joule"] == 1250.5 / 41.3
    assert lint(tmp_path, ["R008", "R009"]) == []


def test_derive_with_unsafe_fixes_says_it_adds_nothing(tmp_path: Path) -> None:
    repo(tmp_path, [merged()])
    code, _, err = run_fix(tmp_path, "--derive", "--unsafe-fixes")
    assert code == 0
    assert "warning: --unsafe-fixes adds nothing to --derive, whose fixes are all safe" in err


def test_derive_only_touches_derived_metrics(tmp_path: Path) -> None:
    meta = meta_for(POWER, "00000000000000a1", tags=tags_for(POWER)[:-1])
    wrong = merged() | {"Accuracy_div_100": 0.5}
    write_repo(tmp_path, with_aggregates({POWER: [wrong, wrong]}), metas={POWER: meta})
    assert run_fix(tmp_path, "--derive")[0] == 1  # it changed files
    assert {f.code for f in lint(tmp_path)} == {"M007", "R012"}
    code, out, _ = run_fix(tmp_path, "--derive")
    assert (code, out) == (0, "")  # what --derive is about is clean; the rest is not its job


def test_aggregate_gets_the_reproducibility_link_of_its_twin(tmp_path: Path) -> None:
    linked = merged() | {"_reproducibility_report": "https://example.org/report/1"}
    write_repo(tmp_path, {POWER: [linked], AGGREGATE: [merged()]})
    assert "X009" in {f.code for f in lint(tmp_path)}
    run_fix(tmp_path)
    assert rows_of(tmp_path, AGGREGATE) == [linked]
    assert lint(tmp_path) == []


def test_aggregate_value_conflict_is_left_for_a_person(tmp_path: Path) -> None:
    write_repo(tmp_path, {POWER: [merged()], AGGREGATE: [merged() | {"notes": "other"}]})
    assert run_fix(tmp_path)[0] == 1
    assert rows_of(tmp_path, AGGREGATE)[0]["notes"] == "other"
    assert "X009" in {f.code for f in lint(tmp_path)}


# --- unsafe fixes ----------------------------------------------------------------------------


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    row = inference_row(power=True, host_processor_core_count="4 (big); 4 (LITTLE)")
    repo(tmp_path, [row])
    assert run_fix(tmp_path)[0] == 1
    assert rows_of(tmp_path, POWER) == [row]
    assert run_fix(tmp_path, "--unsafe-fixes")[0] == 1
    fixed = rows_of(tmp_path, POWER)[0]
    assert fixed["host_processor_core_count"] is None
    assert fixed["host_processor_core_count_text"] == "4 (big); 4 (LITTLE)"
    assert lint(tmp_path) == []


def test_prepublication_links_rewritten_with_the_public_branch(tmp_path: Path) -> None:
    location = "closed/Zeta/results/zbox_1/resnet/Offline"
    private = "https://github.com/mlcommons/submissions_inference_v4.1"
    row = inference_row(version="v4.1", git_url=private, url=f"{private}/tree/master/{location}")
    write_repo(tmp_path, with_aggregates({INFERENCE_V41_ALIAS: [row]}))
    assert "R014" in {f.code for f in lint(tmp_path)}
    run_fix(tmp_path, "--unsafe-fixes")
    fixed = rows_of(tmp_path, INFERENCE_V41_ALIAS)[0]
    public = "https://github.com/mlcommons/inference_results_v4.1"
    assert (fixed["git_url"], fixed["url"]) == (public, f"{public}/tree/main/{location}")
    assert lint(tmp_path) == []


def test_tiny_status_case_normalized(tmp_path: Path) -> None:
    write_repo(tmp_path, with_aggregates({TINY_ALIAS: [tiny_row(Status="Available")]}))
    assert "R015" in {f.code for f in lint(tmp_path)}
    run_fix(tmp_path, "--unsafe-fixes")
    assert rows_of(tmp_path, TINY_ALIAS)[0]["Status"] == "available"
    assert lint(tmp_path) == []


def test_llm_token_rates_relabelled(tmp_path: Path) -> None:
    alias = "mlperf-inference--v4.1--datacenter--closed--language-processing--offline"
    location = "closed/Zeta/results/zbox_1/llama2-70b-99/Offline"
    public = "https://github.com/mlcommons/inference_results_v4.1"
    row = inference_row(version="v4.1", MlperfModel="llama2-70b-99", Model="llama2-70b-99",
                        Accuracy=44.4, Accuracy_div_100=0.444, SystemType="datacenter",
                        Location=location, git_url=public, url=f"{public}/tree/main/{location}")
    write_repo(tmp_path, with_aggregates({alias: [row]}))
    assert "R004" in {f.code for f in lint(tmp_path)}
    run_fix(tmp_path, "--unsafe-fixes")
    fixed = rows_of(tmp_path, alias)[0]
    assert (fixed["Units"], fixed["Result_Units"]) == ("Tokens/s", "Tokens/s")
    assert "R004" not in {f.code for f in lint(tmp_path)}


def test_typo_experiment_merges_into_its_twin(tmp_path: Path) -> None:
    typo = INFERENCE_ALIAS.replace("image-classification", "image-clasification")
    other = merged("3f3f3f3f3f3f3f3f") | {"has_power": False}
    for key in ("Result_Power", "Result_Power_Units", "Inference_per_Joule"):
        other.pop(key)
    plain = perf() | {"has_power": False}
    write_repo(tmp_path, {INFERENCE_ALIAS: [plain], typo: [other]})
    assert "M003" in {f.code for f in lint(tmp_path)}
    assert run_fix(tmp_path, "--unsafe-fixes", "--select", "M003")[0] == 1
    assert not (tmp_path / "experiment" / typo).exists()
    folder = tmp_path / "experiment" / INFERENCE_ALIAS
    # both imports had the same timestamp: the moved one gets a suffix
    assert sorted(p.name for p in folder.iterdir()) == sorted([TS, TS + ".1", "_cm.json"])
    moved = json.loads((folder / (TS + ".1") / "cm-result.json").read_text())
    assert moved == [other]
    assert "M003" not in {f.code for f in lint(tmp_path)}


def test_typo_experiment_without_twin_is_renamed(tmp_path: Path) -> None:
    typo = INFERENCE_ALIAS.replace("image-classification", "image-clasification")
    write_repo(tmp_path, {typo: [perf() | {"has_power": False}]})
    run_fix(tmp_path, "--unsafe-fixes")
    folder = tmp_path / "experiment" / INFERENCE_ALIAS
    meta = json.loads((folder / "_cm.json").read_text())
    assert (meta["alias"], meta["tags"]) == (INFERENCE_ALIAS, tags_for(INFERENCE_ALIAS))
    assert not (tmp_path / "experiment" / typo).exists()


def test_per_file_ignores_stop_the_typo_merge(tmp_path: Path) -> None:
    typo = INFERENCE_ALIAS.replace("image-classification", "image-clasification")
    write_repo(tmp_path, {typo: [perf() | {"has_power": False}]})
    (tmp_path / ".mlperf-repo-tools.toml").write_text(
        f'[per-file-ignores]\n"experiment/{typo}/_cm.json" = ["M003"]\n')
    code, out, err = run_fix(tmp_path, "--unsafe-fixes")
    assert code == 1  # X010 remains: the typo'd experiment has no aggregate
    assert (tmp_path / "experiment" / typo).is_dir()
    assert not (tmp_path / "experiment" / INFERENCE_ALIAS).exists()
    assert "per-file-ignores excuse M003" in out + err


def test_hard_linked_files_are_left_alone_with_a_notice(tmp_path: Path) -> None:
    """A rewrite gives the path a new file: the other names would keep the old text."""
    meta = meta_for(POWER, "00000000000000a1", tags=tags_for(POWER)[:-2])
    write_repo(tmp_path, with_aggregates({POWER: [merged(), merged()]}), metas={POWER: meta})
    rows_path = result_file(tmp_path, POWER)
    meta_path = tmp_path / "experiment" / POWER / "_cm.json"
    os.link(rows_path, tmp_path / "rows-elsewhere.json")
    os.link(meta_path, tmp_path / "meta-elsewhere.json")
    before = {p: p.read_bytes() for p in (rows_path, meta_path)}
    code, out, err = run_fix(tmp_path)
    assert code == 1 and "R012" in out and "M007" in out and "error:" not in err
    assert {p: p.read_bytes() for p in before} == before
    assert rows_path.stat().st_nlink == meta_path.stat().st_nlink == 2
    for path in (rows_path, meta_path):
        assert f"{path.relative_to(tmp_path)}: not rewritten: it has 2 hard links" in err
    # the aggregate, which has no other name, is fixed
    assert rows_of(tmp_path, AGGREGATE) == [merged()]


def test_a_linked_file_with_nothing_to_fix_is_not_named(tmp_path: Path) -> None:
    repo(tmp_path, [merged()])
    os.link(result_file(tmp_path, POWER), tmp_path / "rows-elsewhere.json")
    code, _, err = run_fix(tmp_path)
    assert code == 0 and "not rewritten" not in err


def test_per_file_ignores_of_either_code_of_a_fix_stop_it(tmp_path: Path) -> None:
    """The split-pair merge fixes X002 and R006: excusing R006 alone stops it too."""
    repo(tmp_path, [perf(), power()])
    (tmp_path / ".mlperf-repo-tools.toml").write_text(
        f'[per-file-ignores]\n"experiment/{POWER}/*/cm-result.json" = ["R006"]\n')
    _, _, err = run_fix(tmp_path)
    assert f"{result_rel(POWER)}: not fixed here: per-file-ignores excuse R006" in err
    # Not merged here: the power row stays (other fixes, such as X009 copying the merged
    # aggregate's power keys, are not excused and still apply)...
    assert power()["uid"] in [row["uid"] for row in rows_of(tmp_path, POWER)]
    # ...and merged in the aggregate, where nothing is excused.
    assert [row["uid"] for row in rows_of(tmp_path, AGGREGATE)] == [perf()["uid"]]


# --- format preservation ---------------------------------------------------------------------


def test_unsorted_file_keeps_its_order_and_literals(tmp_path: Path) -> None:
    row = perf()
    keys = sorted(row, reverse=True)  # an insertion order that is not sorted

    def member(key: str, value: str) -> str:
        return f"    {json.dumps(key)}: {value}"

    def text_with(accuracy: str) -> str:
        body = ",\n".join(member(k, "1250.50" if k == "Result" else accuracy
                                 if k == "Accuracy_div_100" else json.dumps(row[k]))
                          for k in keys)
        untouched = '  {"uid": "0f0f0f0f0f0f0f0f", "Result": 1.0E3}'
        return "[\n  {\n" + body + "\n  },\n" + untouched + "\n]"  # no final newline

    write_repo(tmp_path, {INFERENCE_ALIAS: text_with("0.5")})
    run_fix(tmp_path, "--derive")
    # only the wrong value changed: key order, the literals 1250.50 and 1.0E3, the compact
    # second row and the missing final newline all stay
    assert result_file(tmp_path, INFERENCE_ALIAS).read_text() == text_with("0.7605")


def test_new_key_goes_last_in_an_unsorted_row(tmp_path: Path) -> None:
    row = merged()
    del row["Inference_per_Joule"]
    keys = sorted(row, reverse=True)
    text = "[\n  {\n" + ",\n".join(f"    {json.dumps(k)}: {json.dumps(row[k])}"
                                   for k in keys) + "\n  }\n]\n"
    write_repo(tmp_path, {POWER: text})
    run_fix(tmp_path, "--derive")
    after = result_file(tmp_path, POWER).read_text()
    ipj = json.dumps(1250.5 / 41.3)
    assert after == text.replace("\n  }\n]", f',\n    "Inference_per_Joule": {ipj}\n  }}\n]')


def test_yaml_meta_keeps_its_comments(tmp_path: Path) -> None:
    write_repo(tmp_path, with_aggregates({POWER: [merged()]}), metas={POWER: None})
    tags = tags_for(POWER)
    yaml_text = ("# experiment meta, kept by hand\nalias: " + POWER + "\n"
                 "automation_alias: experiment  # CM automation\n"
                 "automation_uid: a0a2d123ef064bcb\ntags:\n"
                 + "".join(f"- {t}\n" for t in tags[:-2]) + "uid: 00000000000000a1\n")
    meta_path = tmp_path / "experiment" / POWER / "_cm.yaml"
    meta_path.write_text(yaml_text)
    assert "M007" in {f.code for f in lint(tmp_path)}
    run_fix(tmp_path)
    assert meta_path.read_text() == yaml_text.replace(
        "uid: 00000000000000a1", "- inference\n- power\nuid: 00000000000000a1")
    assert lint(tmp_path) == []


# --- safety ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    '[{"uid": "1a2b3c4d5e6f7081", "Result": 1.0}, {"uid": "1a2b3c4d5e6f7081", "Result": 1.0}',
    '[{"uid": "1a2b3c4d5e6f7081", "uid": "x"}, {"uid": "1a2b3c4d5e6f7081", "uid": "x"}]',
    '[{"uid": "1a2b3c4d5e6f7081", "Result": NaN}, {"uid": "1a2b3c4d5e6f7081", "Result": NaN}]',
])
def test_file_that_does_not_read_cleanly_is_never_rewritten(tmp_path: Path, text: str) -> None:
    write_repo(tmp_path, {INFERENCE_ALIAS: text})
    code, _, _ = run_fix(tmp_path)
    assert code == 1
    assert result_file(tmp_path, INFERENCE_ALIAS).read_text() == text


def test_symbolic_link_out_of_the_repository_is_neither_read_nor_written(tmp_path: Path
                                                                         ) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(dump([merged(), merged()]))
    root = tmp_path / "repo"
    write_repo(root, {POWER: None, AGGREGATE: [merged()]})
    (root / "experiment" / POWER / TS).mkdir()
    result_file(root, POWER).symlink_to(outside)
    code, out, _ = run_fix(root)
    assert code == 1 and "F009" in out
    assert outside.read_text() == dump([merged(), merged()])


def test_no_write_through_a_symbolic_link_inside_the_repository(tmp_path: Path) -> None:
    repo(tmp_path, [merged()])
    target = tmp_path / "kept" / "rows.json"
    target.parent.mkdir()
    target.write_text(dump([merged(), merged()]))
    link = result_file(tmp_path, POWER)
    link.unlink()
    link.symlink_to(target)
    code, out, err = run_fix(tmp_path)
    # Not an error: the link is left alone, said so, and its finding remains (exit 1).
    assert code == 1
    assert "cm-result.json: not rewritten: it is a symbolic link (fix the file it points to)" \
        in err
    assert "R012" in out and "error:" not in err
    assert target.read_text() == dump([merged(), merged()]) and link.is_symlink()


def test_atomic_write_keeps_mode_and_leaves_no_temporary(tmp_path: Path) -> None:
    repo(tmp_path, [merged(), merged()])
    path = result_file(tmp_path, POWER)
    path.chmod(0o640)
    stale = path.parent / f".cm-result.json{TEMP_MARKER}abc.tmp"
    stale.write_text("[")  # left by a killed run
    assert run_fix(tmp_path)[0] == 1
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(path.parent)) == ["cm-result.json"]


def test_diff_writes_nothing(tmp_path: Path) -> None:
    repo(tmp_path, [merged(), merged()])
    before = result_file(tmp_path, POWER).read_text()
    code, out, _ = run_fix(tmp_path, "--diff")
    assert code == 1
    assert f"--- a/experiment/{POWER}/{TS}/cm-result.json\n" in out
    assert out.count("\n-    \"uid\"") == 2  # one copy dropped here, one in the aggregate
    assert result_file(tmp_path, POWER).read_text() == before
    run_fix(tmp_path)
    assert run_fix(tmp_path, "--diff")[:2] == (0, "")


def test_exit_codes(tmp_path: Path) -> None:
    repo(tmp_path, [merged()])
    assert run_fix(tmp_path)[0] == 0
    row = merged() | {"SystemName": "Zeta Box (4x NPU)"}  # R020: not fixable
    repo(tmp_path / "b", [row])
    code, out, err = run_fix(tmp_path / "b")
    assert code == 1 and "R020" in out and "2 findings remain" in err  # row and its copy
    assert run_fix(tmp_path / "missing")[0] == 2
    assert CliRunner().invoke(fix_command, ["--select", "Z999", str(tmp_path)]).exit_code == 2


def test_given_file_only_is_fixed(tmp_path: Path) -> None:
    write_repo(tmp_path, {INFERENCE_ALIAS: [perf(), perf()], POWER: [merged(), merged()]})
    before = result_file(tmp_path, INFERENCE_ALIAS).read_text()
    run_fix(tmp_path / "experiment" / POWER / TS / "cm-result.json")
    assert rows_of(tmp_path, POWER) == [merged()]
    assert result_file(tmp_path, INFERENCE_ALIAS).read_text() == before


def test_fixes_that_do_not_settle_are_an_internal_error(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def flip(group: Any) -> int:
        for result_file_ in group.files:
            for entry in result_file_.rows:
                entry.data["notes"] = "a" if entry.data.get("notes") != "a" else "b"
        return 1

    monkeypatch.setattr(row_fixes, "ROW_FIXES", (RowFix(("R012",), True, False, flip, "x"),))
    monkeypatch.setattr("mlperf_repo_tools.fixing.runner.ROW_FIXES", row_fixes.ROW_FIXES)
    repo(tmp_path, [merged()])
    code, _, err = run_fix(tmp_path)
    assert code == 2 and "did not settle" in err and "R012" in err
    assert rows_of(tmp_path, POWER) == [merged()]


def test_lint_and_fix_agree_after_a_mixed_repair(tmp_path: Path) -> None:
    rows = [perf(), power(), perf(), copy.deepcopy(power())]
    meta = meta_for(POWER, "00000000000000a1", tags=tags_for(POWER)[:-2])
    write_repo(tmp_path, with_aggregates({POWER: rows}), metas={POWER: meta})
    assert run_fix(tmp_path)[0] == 1
    assert lint(tmp_path) == []
    assert run_fix(tmp_path)[0] == 0


def test_repository_configuration_applies_to_fixes(tmp_path: Path) -> None:
    repo(tmp_path, [merged(), merged()])
    (tmp_path / ".mlperf-repo-tools.toml").write_text('ignore = ["R012"]\n')
    assert run_fix(tmp_path)[0] == 0  # the duplicate is neither fixed nor reported
    assert rows_of(tmp_path, POWER) == [merged(), merged()]
    (tmp_path / ".mlperf-repo-tools.toml").write_text('ignore = ["R012"]\ncolour = 1\n')
    code, _, err = run_fix(tmp_path)
    assert code == 2 and "unknown key 'colour'" in err


def test_per_file_ignores_stop_fixes_in_those_files(tmp_path: Path) -> None:
    """A file whose finding is excused keeps its bytes; the same fix runs elsewhere."""
    write_repo(tmp_path, {INFERENCE_ALIAS: [merged(), merged()], POWER: [merged(), merged()]})
    (tmp_path / ".mlperf-repo-tools.toml").write_text(
        f'[per-file-ignores]\n"experiment/{INFERENCE_ALIAS}/*" = ["R012"]\n')
    excused = result_file(tmp_path, INFERENCE_ALIAS).read_bytes()
    assert run_fix(tmp_path)[0] == 1
    assert result_file(tmp_path, INFERENCE_ALIAS).read_bytes() == excused
    assert rows_of(tmp_path, POWER) == [merged()]
    assert lint(tmp_path, ["R012"]) != []  # still there; the configuration excuses it
    _, _, err = run_fix(tmp_path)
    assert "nothing to fix" in err
    assert f"{result_rel(INFERENCE_ALIAS)}: not fixed here: per-file-ignores excuse R012" in err


def test_per_file_ignores_stop_one_derived_fix_not_the_other(tmp_path: Path) -> None:
    row = merged() | {"Accuracy_div_100": 0.5}
    del row["Inference_per_Joule"]
    repo(tmp_path, [row], aggregate=False)
    (tmp_path / ".mlperf-repo-tools.toml").write_text(
        '[per-file-ignores]\n"experiment/*/*/cm-result.json" = ["R008"]\n')
    assert {f.code for f in lint(tmp_path, ["R008", "R009"])} == {"R008", "R009"}
    _, _, err = run_fix(tmp_path, "--derive")
    assert f"{result_rel(POWER)}: not fixed here: per-file-ignores excuse R008" in err
    fixed = rows_of(tmp_path, POWER)[0]
    assert "Inference_per_Joule" not in fixed  # R008 is excused here
    assert fixed["Accuracy_div_100"] == merged()["Accuracy_div_100"]  # R009 is not


def test_per_file_ignores_stop_tag_fixes_in_that_meta(tmp_path: Path) -> None:
    meta = meta_for(POWER, "00000000000000a1", tags=tags_for(POWER)[:-2])
    write_repo(tmp_path, with_aggregates({POWER: [merged()]}), metas={POWER: meta})
    (tmp_path / ".mlperf-repo-tools.toml").write_text(
        f'[per-file-ignores]\n"experiment/{POWER}/_cm.json" = ["M007"]\n')
    meta_path = tmp_path / "experiment" / POWER / "_cm.json"
    before = meta_path.read_bytes()
    code, out, err = run_fix(tmp_path)
    assert code == 0  # nothing changed, and the one finding is excused
    assert meta_path.read_bytes() == before
    assert f"experiment/{POWER}/_cm.json: not rewritten: per-file-ignores excuse M007" \
        in out + err


# --- regressions found by trying to break the fixer ------------------------------------------


def test_no_infinite_derived_value_is_written(tmp_path: Path) -> None:
    row = perf(Result_Power=1e-320, Result_Power_Units="Watts")
    repo(tmp_path, [row])
    before = result_file(tmp_path, POWER).read_text()
    run_fix(tmp_path, "--derive")
    assert result_file(tmp_path, POWER).read_text() == before
    assert "Infinity" not in result_file(tmp_path, POWER).read_text()


def test_lone_surrogate_is_written_escaped(tmp_path: Path) -> None:
    plain = merged() | {"notes": "café"}
    linked = plain | {"_reproducibility_report": "https://example.org/\ud800"}
    write_repo(tmp_path, {POWER: [linked], AGGREGATE: [plain]})
    aggregate = result_file(tmp_path, AGGREGATE)
    aggregate.write_text(json.dumps([plain], indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    code, _, err = run_fix(tmp_path)
    assert code == 1 and "internal error" not in err
    assert '"https://example.org/\\ud800"' in aggregate.read_text()
    assert "café" in aggregate.read_text()  # the rest keeps its raw non-ASCII text


def test_ambiguous_power_keeps_the_stored_perf_per_watt(tmp_path: Path) -> None:
    row = perf(Inference_per_Joule=1250.5 / 41.3)
    rows = [row, power(watts=41.3), power("8a8a8a8a8a8a8a8a", watts=45.0)]
    repo(tmp_path, rows)
    run_fix(tmp_path)
    assert rows_of(tmp_path, POWER) == rows


def test_yaml_meta_keeps_tag_comments_line_endings_and_long_lines(tmp_path: Path) -> None:
    write_repo(tmp_path, with_aggregates({POWER: [merged()]}), metas={POWER: None})
    tags = tags_for(POWER)
    long_note = "x" * 120
    lines = ["# meta", f"alias: {POWER}", "automation_alias: experiment",
             "automation_uid: a0a2d123ef064bcb", "tags:",
             *(f"  - {t}   # c{i}" for i, t in enumerate(reversed(tags[:-2]))),
             "  - custom  # keep me", "  # end of tags", "", "uid: 00000000000000a1",
             f"note: {long_note}", ""]
    meta_path = tmp_path / "experiment" / POWER / "_cm.yaml"
    meta_path.write_bytes("\r\n".join(lines).encode())
    run_fix(tmp_path)
    expected = [*lines[:5], *(f"  - {t}   # c{len(tags) - 3 - i}" for i, t in
                              enumerate(tags[:-2])),
                "  - inference", "  - power", *lines[5 + len(tags) - 2:]]
    assert meta_path.read_bytes().decode() == "\r\n".join(expected)


def test_tags_that_are_not_text_are_kept(tmp_path: Path) -> None:
    odd = [1, True, None, {"a": 1}, [2], 1.0, "x"]
    meta = meta_for(POWER, "00000000000000a1", tags=[*tags_for(POWER)[:-1], *odd, 1])
    write_repo(tmp_path, with_aggregates({POWER: [merged()]}), metas={POWER: meta})
    run_fix(tmp_path)
    fixed = json.loads((tmp_path / "experiment" / POWER / "_cm.json").read_text())
    assert fixed["tags"] == [*tags_for(POWER), *odd]


@pytest.mark.parametrize("alias", [
    INFERENCE_ALIAS.replace("v4.0", "v4.2"),  # a round the vocabulary does not know yet
    INFERENCE_ALIAS.replace("image-classification", "graph-classification"),  # another task
])
def test_unknown_parts_that_are_not_typos_are_left_alone(tmp_path: Path, alias: str) -> None:
    write_repo(tmp_path, {alias: [perf() | {"has_power": False}],
                          INFERENCE_ALIAS: [perf("5b5b5b5b5b5b5b5b") | {"has_power": False}]})
    run_fix(tmp_path, "--unsafe-fixes")
    assert (tmp_path / "experiment" / alias / "_cm.json").is_file()


@pytest.mark.parametrize("extra", ["meta-key", "other-file"])
def test_typo_merge_refused_when_something_would_be_lost(tmp_path: Path, extra: str) -> None:
    typo = INFERENCE_ALIAS.replace("image-classification", "image-clasification")
    metas: dict[str, Any] = {}
    if extra == "meta-key":
        metas[typo] = meta_for(typo, "00000000000000b1", owner="someone")
    write_repo(tmp_path, {INFERENCE_ALIAS: [perf() | {"has_power": False}],
                          typo: [perf("5b5b5b5b5b5b5b5b") | {"has_power": False}]}, metas=metas)
    if extra == "other-file":
        (tmp_path / "experiment" / typo / "README.md").write_text("notes\n")
    code, _, err = run_fix(tmp_path, "--unsafe-fixes")
    assert code == 1 and "not merged into" in err
    assert (tmp_path / "experiment" / typo / TS / "cm-result.json").is_file()


def test_typo_whose_correction_is_a_file_is_reported_not_a_crash(tmp_path: Path) -> None:
    typo = INFERENCE_ALIAS.replace("image-classification", "image-clasification")
    write_repo(tmp_path, {typo: [perf() | {"has_power": False}]})
    (tmp_path / "experiment" / INFERENCE_ALIAS).write_text("not a folder\n")
    code, _, err = run_fix(tmp_path, "--unsafe-fixes")
    assert code == 1 and "is not an experiment folder" in err


def test_rename_updates_the_alias_in_every_meta(tmp_path: Path) -> None:
    typo = INFERENCE_ALIAS.replace("image-classification", "image-clasification")
    json_meta = {"alias": typo, "automation_alias": "experiment",
                 "automation_uid": "a0a2d123ef064bcb", "uid": "00000000000000b1"}
    write_repo(tmp_path, {typo: [perf() | {"has_power": False}]}, metas={typo: json_meta})
    folder = tmp_path / "experiment" / typo
    (folder / "_cm.yaml").write_text(f"alias: {typo}\ntags:\n- mlperf\n")
    run_fix(tmp_path, "--unsafe-fixes")
    fixed = tmp_path / "experiment" / INFERENCE_ALIAS
    assert json.loads((fixed / "_cm.json").read_text())["alias"] == INFERENCE_ALIAS
    assert (fixed / "_cm.yaml").read_text().startswith(f"alias: {INFERENCE_ALIAS}\ntags:\n")


def test_ignoring_one_rule_of_a_fix_stops_the_fix(tmp_path: Path) -> None:
    repo(tmp_path, [perf(), power()])
    run_fix(tmp_path, "--ignore", "X002")
    assert rows_of(tmp_path, POWER) == [perf(), power()]


def test_path_through_a_link_into_another_repository_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other"
    repo(other, [merged(), merged()])
    root = tmp_path / "repo"
    write_repo(root, {POWER: None, AGGREGATE: [merged()]})
    (root / "experiment" / POWER / TS).symlink_to(other / "experiment" / POWER / TS)
    before = result_file(other, POWER).read_text()
    code, _, err = run_fix(root / "experiment" / POWER / TS / "cm-result.json")
    assert code == 2 and "symbolic link leads out of the repository" in err
    assert result_file(other, POWER).read_text() == before


def test_diff_of_a_file_with_unusual_line_separators_applies(tmp_path: Path) -> None:
    row = merged() | {"notes": "a\u2028b\rc", "Accuracy_div_100": 0.5}
    text = json.dumps([row], indent=2, sort_keys=True, ensure_ascii=False)  # no final newline
    write_repo(tmp_path, {POWER: text, AGGREGATE: [merged() | {"notes": "a\u2028b\rc"}]})
    _, diff, _ = run_fix(tmp_path, "--diff")
    applied = subprocess.run(["patch", "-p1", "-s"], input=diff.encode(), cwd=tmp_path,
                             capture_output=True, check=False)
    assert applied.returncode == 0, applied.stderr
    assert rows_of(tmp_path, POWER)[0]["Accuracy_div_100"] == 0.7605
    assert run_fix(tmp_path, "--diff")[0] == 0


def test_new_nested_value_in_a_crlf_file_uses_crlf(tmp_path: Path) -> None:
    meta = meta_for(POWER, "00000000000000a1", tags=tags_for(POWER)[:-1])
    write_repo(tmp_path, with_aggregates({POWER: [merged()]}), metas={POWER: meta})
    path = tmp_path / "experiment" / POWER / "_cm.json"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    run_fix(tmp_path)
    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert json.loads(data)["tags"] == tags_for(POWER)


@pytest.mark.parametrize("text", ["a\nb", "a\u2028x\nb\n", "a\r\nb\r\n", "x\ny\n"])
def test_both_diff_engines_give_patches_that_apply(tmp_path: Path, text: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    after = text.replace("b", "c").rstrip("\n") if text.endswith("y\n") else text.replace(
        "b", "c")
    for engine in ("diff", "difflib"):
        if engine == "difflib":
            monkeypatch.setattr("shutil.which", lambda name: None)
        folder = tmp_path / engine
        (folder / "f").mkdir(parents=True)
        (folder / "f" / "t.json").write_bytes(text.encode())
        patch = writing.unified_diff("f/t.json", text, after)
        applied = subprocess.run(["patch", "-p1", "-s"], input=patch.encode(), cwd=folder,
                                 capture_output=True, check=False)
        assert applied.returncode == 0, (engine, applied.stderr)
        assert (folder / "f" / "t.json").read_bytes() == after.encode(), engine


@pytest.mark.parametrize(("a", "b", "same"), [
    ({"a": 1, "b": [1, "x"]}, {"b": [1, "x"], "a": 1}, True),
    ({"a": {"x": 1, "y": None}}, {"a": {"y": None, "x": 1}}, True),
    (float("nan"), float("nan"), True),
    (1, 1.0, False),
    (1, True, False),
    (0, False, False),
    ("1", 1, False),
    ([1, 2], [2, 1], False),
    ({"a": 1}, {"a": 1, "b": None}, False),
    ({"a": [1]}, {"a": [1.0]}, False),
    (0.0, -0.0, False),
    ({"a": [0.0]}, {"a": [-0.0]}, False),
])
def test_same_json_tells_types_apart(a: Any, b: Any, same: bool) -> None:
    """The fixer keeps a row's bytes only when its data is the same JSON: 1 -> 1.0 must be
    rewritten."""
    assert same_json(a, b) is same
    assert same_json(b, a) is same
    assert same_json(a, a)


def test_deeply_nested_value_does_not_stop_a_fix(tmp_path: Path) -> None:
    """Comparing a value nested 900 deep would overflow a recursive walk; the fix still runs
    and keeps the nested value's bytes."""
    row = merged() | {"Accuracy_div_100": 0.5}
    nested = '{"a":' * 900 + "1" + "}" * 900
    text = dump([row]).replace('"Accuracy": ', f'"extra": {nested},\n    "Accuracy": ', 1)
    repo(tmp_path, [row], aggregate=False)
    result_file(tmp_path, POWER).write_text(text)
    code, _, err = run_fix(tmp_path, "--derive")
    assert code == 1 and "error" not in err, err
    fixed = result_file(tmp_path, POWER).read_text()
    assert nested in fixed
    assert json.loads(fixed)[0]["Accuracy_div_100"] == merged()["Accuracy_div_100"]
