"""Baselines: fingerprints survive unrelated edits, inserted, moved and deleted rows; new
findings are reported; fixed ones are stale and can only be dropped."""

from __future__ import annotations

import json
from pathlib import Path

from builders import INFERENCE_ALIAS, dump, inference_row, result_rel, with_aggregates, write_repo
from click.testing import CliRunner

from mlperf_repo_tools.cli import lint_command

AGGREGATE = INFERENCE_ALIAS.replace("--v4.0--", "--all--")


def result_row(n: int, **changes: object) -> dict[str, object]:
    """The row of a distinct result (its own platform), clean unless ``changes`` break it."""
    location = f"closed/Zeta/results/zbox_{n}/resnet/Offline"
    url = f"https://github.com/mlcommons/inference_results_v4.0/tree/master/{location}"
    return inference_row(**{"uid": f"{n:016x}", "Platform": f"zbox_{n}", "Location": location,
                            "url": url, **changes})


def rows_with_defects() -> list[dict[str, object]]:
    """Five results; three of them (1, 3, 5) hold text in a numeric field (R002)."""
    return [result_row(n, host_processor_core_count="8 (big)" if n % 2 else 8)
            for n in range(1, 6)]


def make_repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "repo", with_aggregates({INFERENCE_ALIAS: rows_with_defects()}))


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(lint_command, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def rewrite(root: Path, alias: str, change) -> None:  # type: ignore[no-untyped-def]
    path = root / result_rel(alias)
    rows = json.loads(path.read_text())
    path.write_text(dump(change(rows)))


def baseline_of(root: Path, tmp_path: Path) -> Path:
    path = tmp_path / "baseline.json"
    status, out, err = run(root, "--write-baseline", path)
    assert status == 0 and out == "" and "wrote" in err
    return path


def test_round_trip_reports_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    status, out, _ = run(root)
    assert status == 1 and out.count(" R002 ") == 6  # 3 rows in each of the two files
    baseline = baseline_of(root, tmp_path)
    assert run(root, "--baseline", baseline)[:2] == (0, "")


def test_inserted_moved_and_deleted_rows_keep_entries_valid(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    baseline = baseline_of(root, tmp_path)
    clean = result_row(99)
    rewrite(root, INFERENCE_ALIAS, lambda rows: [clean, *reversed(rows)])
    rewrite(root, AGGREGATE, lambda rows: [clean, *reversed(rows)])
    status, out, err = run(root, "--baseline", baseline)
    assert (status, out) == (0, ""), out
    # Deleting a row whose findings are in the baseline: no new finding, stale entries.
    rewrite(root, INFERENCE_ALIAS, lambda rows: [r for r in rows if r["Platform"] != "zbox_1"])
    rewrite(root, AGGREGATE, lambda rows: [r for r in rows if r["Platform"] != "zbox_1"])
    status, out, err = run(root, "--baseline", baseline)
    assert (status, out) == (0, "")
    assert "2 baseline entries" in err and "stale: " in err and "R002" in err


def test_a_new_defect_is_reported_alone(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    baseline = baseline_of(root, tmp_path)

    def break_one(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        rows[1]["accelerators_per_node"] = "N/A"  # a row that already has a finding
        return rows

    rewrite(root, INFERENCE_ALIAS, break_one)
    status, out, _ = run(root, "--baseline", baseline)
    lines = out.splitlines()
    assert status == 1
    assert sorted(line.split(": ")[1].split()[0] for line in lines
                  if not line.startswith(" ")) == ["R002", "X009"], out
    assert "accelerators_per_node" in out


def test_changed_offending_value_is_new(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    baseline = baseline_of(root, tmp_path)

    def change_text(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        rows[0]["host_processor_core_count"] = "8 (LITTLE)"
        return rows

    rewrite(root, INFERENCE_ALIAS, change_text)
    status, out, err = run(root, "--baseline", baseline)
    assert status == 1 and "8 (LITTLE)" in out and ": 1 baseline entry (1 finding) without" in err


def test_exact_copies_are_counted(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", with_aggregates({INFERENCE_ALIAS: [
        inference_row(), inference_row()]}))
    baseline = baseline_of(root, tmp_path)
    entries = json.loads(baseline.read_text())["entries"]
    both = "1a2b3c4d5e6f7081 & 1a2b3c4d5e6f7081"  # the copy and the first copy
    assert [(e["code"], e["path"], e["row"], e["count"]) for e in entries] == [
        ("R012", result_rel(AGGREGATE), both, 1), ("R012", result_rel(INFERENCE_ALIAS), both, 1)]
    assert run(root, "--baseline", baseline)[0] == 0
    rewrite(root, INFERENCE_ALIAS, lambda rows: [*rows, rows[0]])  # a third copy
    status, out, _ = run(root, "--baseline", baseline)
    assert status == 1 and out.count(" R012 ") == 1


def test_shared_uid_rows_are_told_apart_by_identity(tmp_path: Path) -> None:
    rows = [result_row(1, Result="x"), result_row(2, Result="x", uid=f"{1:016x}")]
    root = write_repo(tmp_path / "repo", with_aggregates({INFERENCE_ALIAS: rows}))
    baseline = baseline_of(root, tmp_path)
    entries = json.loads(baseline.read_text())["entries"]
    row_ids = {e["row"] for e in entries if e["code"] == "R002"}
    assert len(row_ids) == 2 and any("zbox_1" in r for r in row_ids) \
        and any("zbox_2" in r for r in row_ids)
    assert run(root, "--baseline", baseline)[0] == 0


def test_shrinking_drops_stale_entries_and_adds_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    baseline = baseline_of(root, tmp_path)
    before = json.loads(baseline.read_text())["findings"]

    def fix_one_break_another(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        rows[0]["host_processor_core_count"] = 8
        rows[1]["accelerators_per_node"] = "N/A"
        return rows

    rewrite(root, INFERENCE_ALIAS, fix_one_break_another)
    status, _, err = run(root, "--baseline", baseline, "--write-baseline", baseline)
    assert status == 0
    after = json.loads(baseline.read_text())
    assert after["findings"] == before - 1  # fixed one gone, the new one not added
    assert not any("accelerators_per_node" in e["field"] for e in after["entries"])
    status, out, err = run(root, "--baseline", baseline)
    assert status == 1 and "accelerators_per_node" in out and "baseline entries" not in err


def test_partial_run_reports_stale_entries_of_its_paths_only(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    baseline = baseline_of(root, tmp_path)
    for alias in (INFERENCE_ALIAS, AGGREGATE):  # fix the three defects in both files
        rewrite(root, alias, lambda rows: [dict(r, host_processor_core_count=8) for r in rows])
    status, _, err = run(root / result_rel(INFERENCE_ALIAS), "--baseline", baseline)
    assert status == 0 and "3 baseline entries" in err
    assert result_rel(INFERENCE_ALIAS) in err and result_rel(AGGREGATE) not in err
    status, _, err = run(root, "--baseline", baseline)
    assert status == 0 and "6 baseline entries" in err


def test_unreadable_baseline_is_exit_2(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    for text in ("not json", '{"format": 99, "entries": []}', '{"format": 1, "entries": [{}]}'):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        status, out, err = run(root, "--baseline", bad)
        assert status == 2 and out == "" and "bad.json" in err and "Traceback" not in err
    status, _, err = run(root, "--baseline", tmp_path / "none.json")
    assert status == 2 and "none.json" in err


def test_pairs_reported_at_either_row_keep_their_entry(tmp_path: Path) -> None:
    """X006 reports the later of two rows equal except uid; reversing the rows moves it."""
    rows = [result_row(1), result_row(1, uid=f"{7:016x}")]
    root = write_repo(tmp_path / "repo", with_aggregates({INFERENCE_ALIAS: rows}))
    first = run(root)[1]
    assert " X006 " in first
    baseline = baseline_of(root, tmp_path)
    for alias in (INFERENCE_ALIAS, AGGREGATE):
        rewrite(root, alias, lambda rows: list(reversed(rows)))
    assert run(root)[1] != first  # reported at the other row now
    assert run(root, "--baseline", baseline)[:2] == (0, "")


def test_three_conflicting_rows_keep_their_entries_when_reordered(tmp_path: Path) -> None:
    """X005 compares every variant of one result with one of them; that one is chosen by
    content, so reversing the rows reports the same pairs."""
    rows = [result_row(1, Result=float(value), uid=f"{n:016x}")
            for n, value in ((21, 300), (22, 100), (23, 200))]
    root = write_repo(tmp_path / "repo", with_aggregates({INFERENCE_ALIAS: rows}))
    first = run(root)[1]
    assert first.count(" X005 ") == 4  # two pairs, in the experiment and in its aggregate
    baseline = baseline_of(root, tmp_path)
    for alias in (INFERENCE_ALIAS, AGGREGATE):
        rewrite(root, alias, lambda rows: list(reversed(rows)))
    assert run(root, "--baseline", baseline)[:2] == (0, "")


def test_stale_message_counts_entries_and_findings_apart(tmp_path: Path) -> None:
    """An entry can stand for several findings (exact copies): the message names both."""
    bad = result_row(1, host_processor_core_count="8 (big)")
    root = write_repo(tmp_path / "repo", with_aggregates({INFERENCE_ALIAS: [bad, bad, bad]}))
    baseline = baseline_of(root, tmp_path)
    entries = json.loads(baseline.read_text())["entries"]
    for alias in (INFERENCE_ALIAS, AGGREGATE):
        rewrite(root, alias, lambda rows: [result_row(2)])
    status, out, err = run(root, "--baseline", baseline)
    assert (status, out) == (0, "")
    findings = sum(e["count"] for e in entries)
    assert len(entries) < findings
    assert f"{baseline}: {len(entries)} baseline entries ({findings} findings) without a " \
        "finding any more" in err
