"""Properties of the fixer on generated repositories: fixing twice equals fixing once, and
lint after a fix reports nothing the fixes could have fixed."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from builders import (
    INFERENCE_POWER_ALIAS,
    aggregate_alias,
    inference_row,
    meta_for,
    tags_for,
    write_repo,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlperf_repo_tools.engine import lint_paths
from mlperf_repo_tools.fixing.runner import FixOptions, fix_paths

ALIAS = INFERENCE_POWER_ALIAS
# Rules whose findings a safe fix always removes (the others only when unambiguous).
ALWAYS_FIXED = {"M007", "M009", "R008", "R009", "R012"}

result_spec = st.fixed_dictionaries({
    "platform": st.sampled_from(["box_a", "box_b", "box_c"]),
    "result": st.floats(min_value=1, max_value=1e6, allow_nan=False, allow_subnormal=False),
    "watts": st.floats(min_value=1, max_value=5e3, allow_nan=False, allow_subnormal=False),
    "split": st.booleans(),
    "copies": st.integers(min_value=0, max_value=2),
    "ipj": st.sampled_from(["missing", "wrong", "right"]),
    "accuracy": st.sampled_from(["wrong", "right"]),
    "in_aggregate": st.booleans(),
})


def rows_for(number: int, spec: dict[str, Any]) -> list[dict[str, Any]]:
    platform = spec["platform"]
    location = f"closed/Zeta/results/{platform}/resnet/Offline"
    url = f"https://github.com/mlcommons/inference_results_v4.0/tree/master/{location}"
    base = inference_row(f"{number:016x}", power=True, Platform=platform, Location=location,
                         url=url, Result=spec["result"], Result_Power=spec["watts"])
    base["Inference_per_Joule"] = spec["result"] / spec["watts"]
    if spec["accuracy"] == "wrong":
        base["Accuracy_div_100"] = 0.5
    if spec["split"]:
        power = base | {"uid": f"{number + 0x100:016x}", "Result": None, "Units": "Watts",
                        "Result_Units": "Watts"}
        for key in ("Result_Power_Units", "Inference_per_Joule"):
            power.pop(key)
        performance = {k: v for k, v in base.items()
                       if k not in ("Result_Power", "Result_Power_Units", "Inference_per_Joule")}
        rows = [performance, power]
    else:
        if spec["ipj"] == "missing":
            del base["Inference_per_Joule"]
        elif spec["ipj"] == "wrong":
            base["Inference_per_Joule"] = 1.0
        rows = [base]
    return rows + [copy.deepcopy(rows[0]) for _ in range(spec["copies"])]


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(result_spec, min_size=1, max_size=5),
       drop_tags=st.integers(min_value=0, max_value=3), shuffle=st.booleans())
def test_fix_is_idempotent_and_leaves_nothing_it_could_fix(specs: list[dict[str, Any]],
                                                           drop_tags: int, shuffle: bool) -> None:
    versions: list[dict[str, Any]] = []
    aggregate: list[dict[str, Any]] = []
    for number, spec in enumerate(specs, start=1):
        rows = rows_for(number, spec)
        versions.extend(rows)
        if spec["in_aggregate"]:
            aggregate.extend(copy.deepcopy(rows))
    tags = tags_for(ALIAS)[:len(tags_for(ALIAS)) - drop_tags]
    if shuffle:
        tags = tags[1:] + tags[:1]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_repo(root, {ALIAS: versions, aggregate_alias(ALIAS): aggregate or None},
                   metas={ALIAS: meta_for(ALIAS, "00000000000000a1", tags=tags)})
        fix_paths([root], FixOptions())
        once = snapshot(root)
        fix_paths([root], FixOptions())
        assert snapshot(root) == once
        findings = lint_paths([root]).findings
        assert [f for f in findings if f.code in ALWAYS_FIXED] == []
        assert all("ambiguous" in f.message for f in findings if f.code == "X002")
        for finding in findings:  # copies of a power row are dropped, other copies are not
            if finding.code == "X006":
                rows = json.loads((root / finding.location.path).read_text())
                row = rows[int(finding.location.pointer.strip("/"))]
                assert row["Units"] != "Watts", finding
        for path, data in once.items():
            if path.endswith(".json"):
                json.loads(data)  # every written file parses
