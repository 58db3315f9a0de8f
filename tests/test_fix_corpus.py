"""mlperf-repo-fix on a git copy of the real results repository snapshot, read back by the real
CM client (cmind).

The copy is made once per module: the CM query before the fix, the safe fixes (checked, then
run again to show they settle), then the unsafe fixes and the CM queries after each.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "cm4mlperf-results"

if not CORPUS.is_dir():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"the corpus is missing from CI: {CORPUS}")
    pytest.skip("corpus snapshot not present", allow_module_level=True)

# The rules whose findings the safe fixes remove entirely on this repository. (M008 also
# reports tags outside the convention, which no fix drops; the snapshot has none.)
SAFE_CODES = {"M007", "M008", "M009", "R006", "R008", "R009", "R012", "X002", "X006", "X009"}
TYPO = "languge-processing"
V40_QUERY = "mlperf-inference,v4.0,inference"

# A minimal CM automation named `experiment`: cmind ships without the framework's own
# automations, and `cm find experiment` needs one with this uid.
EXPERIMENT_AUTOMATION = {"alias": "experiment", "automation_alias": "automation",
                         "automation_uid": "bbeb15d8f0a944a4", "tags": ["automation"],
                         "uid": "a0a2d123ef064bcb"}
AUTOMATION_MODULE = """from cmind.automation import Automation


class CAutomation(Automation):
    def __init__(self, cmind, automation_file):
        super().__init__(cmind, __file__)
"""


@dataclass
class Runs:
    root: Path
    before: dict[str, Any] = field(default_factory=dict)
    safe: dict[str, Any] = field(default_factory=dict)
    unsafe: dict[str, Any] = field(default_factory=dict)


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), capture_output=True, text=True, check=False, cwd=cwd,
                          env=env)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc


def tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    module = {"lint": "mlperf_repo_tools", "fix": "mlperf_repo_tools.fixing"}[name]
    return run(sys.executable, "-m", module, *args)


def lint_codes(root: Path) -> dict[str, int]:
    proc = tool("lint", "--output-format", "json", str(root))
    counts: dict[str, int] = {}
    for finding in json.loads(proc.stdout):
        counts[finding["code"]] = counts.get(finding["code"], 0) + 1
    return counts


def cm_find(tmp: Path, root: Path, tags: str) -> list[str]:
    """The experiment folders `cm find experiment --tags=...` returns, from a fresh CM home
    that knows only the automation and the repository."""
    home = tmp / f"cm-{len(list(tmp.glob('cm-*')))}"
    automation = home / "automation-repo" / "automation" / "experiment"
    automation.mkdir(parents=True)
    (home / "automation-repo" / "cmr.yaml").write_text(
        "alias: local@experiment-automation\nuid: 0f1e2d3c4b5a6978\n")
    (automation / "_cm.json").write_text(json.dumps(EXPERIMENT_AUTOMATION))
    (automation / "module.py").write_text(AUTOMATION_MODULE)
    repos = home / "repos"
    repos.mkdir()
    (repos / "repos.json").write_text(json.dumps([str(home / "automation-repo"), str(root)]))
    env = {**os.environ, "CM_REPOS": str(repos), "HOME": str(home)}
    cm = Path(sys.executable).with_name("cm")
    proc = run(str(cm), "find", "experiment", f"--tags={tags}", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [line for line in proc.stdout.splitlines() if line.startswith(str(root))]


def changed_files(root: Path) -> set[str]:
    proc = run("git", "status", "--porcelain", "--untracked-files=all", cwd=root)
    return {line[3:] for line in proc.stdout.splitlines()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    tmp = tmp_path_factory.mktemp("fix-corpus")
    root = tmp / "results"
    shutil.copytree(CORPUS, root, symlinks=True)
    for args in (["init", "-q"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "s"]):
        assert run("git", *args, cwd=root).returncode == 0
    runs = Runs(root)
    runs.before = {"cm_v40": cm_find(tmp, root, V40_QUERY),
                   "fixable": _fixable_paths(root)}
    first = tool("fix", "-q", str(root))
    runs.safe = {"exit": first.returncode, "stderr": first.stderr,
                 "changed": changed_files(root), "codes": lint_codes(root),
                 "cm_v40": cm_find(tmp, root, V40_QUERY)}
    second = tool("fix", "-q", str(root))
    runs.safe["second"] = (second.returncode, second.stderr, changed_files(root))
    run("git", "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "safe",
        cwd=root)
    third = tool("fix", "-q", "--unsafe-fixes", str(root))
    runs.unsafe = {"exit": third.returncode, "stderr": third.stderr,
                   "codes": lint_codes(root), "cm_typo": cm_find(tmp, root, TYPO),
                   "cm_v40": cm_find(tmp, root, V40_QUERY)}
    return runs


def _fixable_paths(root: Path) -> set[str]:
    """Every file a finding of a safely fixable rule involves, before the fix."""
    proc = tool("lint", "--output-format", "json", "--select", ",".join(sorted(SAFE_CODES)),
                str(root))
    paths = set()
    for finding in json.loads(proc.stdout):
        paths.add(finding["path"])
        paths.update(r["path"] for r in finding.get("related", []))
    return paths


def _result_rows(root: Path) -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for path in sorted((root / "experiment").glob("mlperf-inference--*/*/cm-result.json")):
        rows.extend((path.parent.parent.name, row) for row in json.loads(path.read_text()))
    return rows


def test_safe_fixes_leave_no_safely_fixable_finding(runs: Runs) -> None:
    assert runs.safe["exit"] == 1  # files changed
    assert {c: n for c, n in runs.safe["codes"].items() if c in SAFE_CODES} == {}


def test_second_run_changes_nothing(runs: Runs) -> None:
    code, stderr, changed = runs.safe["second"]
    assert code == 1  # unfixable findings remain
    assert "nothing to fix" in stderr
    assert changed == runs.safe["changed"]


def test_only_files_with_something_to_fix_change(runs: Runs) -> None:
    changed = runs.safe["changed"]
    assert len(changed) > 400
    assert changed <= runs.before["fixable"]


def test_every_power_row_carries_its_perf_per_watt(runs: Runs) -> None:
    checked = 0
    for _, row in _result_rows(runs.root):
        power = row.get("Result_Power")
        if not isinstance(power, int | float):
            continue
        scenario = row["Scenario"]
        if scenario in ("Offline", "Server"):
            expected = row["Result"] / power
        else:
            expected = {"SingleStream": 1000, "MultiStream": 8000}[scenario] / power
        assert row.get("Inference_per_Joule") == expected, (row["uid"], row["Location"])
        assert row.get("Result") is not None  # merged: no power row is left on its own
        checked += 1
    assert checked > 3000


def test_every_inference_experiment_has_the_inference_tag(runs: Runs) -> None:
    metas = list((runs.root / "experiment").glob("mlperf-inference--*/_cm.json"))
    assert len(metas) > 500
    for meta in metas:
        assert "inference" in json.loads(meta.read_text())["tags"], meta


def test_cm_finds_the_v40_experiments_only_after_the_fix(runs: Runs) -> None:
    assert runs.before["cm_v40"] == []
    assert len(runs.safe["cm_v40"]) == 83
    assert all("--v4.0--" in path for path in runs.safe["cm_v40"])


def test_unsafe_fixes_merge_the_misspelt_experiments(runs: Runs) -> None:
    assert not list((runs.root / "experiment").glob(f"*{TYPO}*"))
    assert runs.unsafe["cm_typo"] == []
    assert "M003" not in runs.unsafe["codes"]
    assert runs.unsafe["stderr"].count("merged into") == 12
    assert len(runs.unsafe["cm_v40"]) == 83


def test_rows_of_misspelt_experiments_live_in_their_twins(runs: Runs) -> None:
    originals = {}
    for path in CORPUS.glob(f"experiment/*{TYPO}*/*/cm-result.json"):
        twin = path.parent.parent.name.replace(TYPO, "language-processing")
        originals[twin] = json.loads(path.read_text())
    assert len(originals) == 12
    fixed: dict[str, list[str]] = {}
    for name, row in _result_rows(runs.root):
        fixed.setdefault(name, []).append(row["uid"])
    for twin, rows in originals.items():
        # split power rows were merged into their performance row, so their uid is gone
        kept = {r["uid"] for r in rows if r.get("Result_Units") not in ("Watts", "millijoules")}
        assert kept <= set(fixed[twin]), twin
