"""Rule documentation: the `rules` listing, --list-rules, --explain, and docs/rules.md, all
generated from the rule registry."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mlperf_repo_tools import docs
from mlperf_repo_tools.cli import lint_command
from mlperf_repo_tools.rules import all_rules

PROJECT = Path(__file__).resolve().parent.parent


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(lint_command, list(args))
    return result.exit_code, result.stdout


def test_rules_page_is_up_to_date() -> None:
    page = PROJECT / "docs" / "rules.md"
    assert page.read_text(encoding="utf-8") == docs.render_rules_markdown(), (
        "docs/rules.md is out of date: run python -m mlperf_repo_tools.docs")


def test_check_mode_notices_a_stale_page(tmp_path: Path) -> None:
    page = tmp_path / "rules.md"
    assert docs.main([str(page)]) == 0 and docs.main(["--check", str(page)]) == 0
    page.write_text(page.read_text().replace("R009", "R999", 1))
    assert docs.main(["--check", str(page)]) == 1


def test_page_documents_every_rule() -> None:
    page = docs.render_rules_markdown()
    for rule in all_rules().values():
        assert f"### {rule.code} {rule.name}\n" in page
        assert rule.doc in page


def test_rules_subcommand_and_list_rules_agree() -> None:
    status, listing = invoke("rules")
    assert status == 0 and invoke("--list-rules") == (0, listing)
    rules = all_rules()
    lines = listing.splitlines()
    assert [line.split()[0] for line in lines] == list(rules)
    for word, chosen in (("fix", lambda r: r.fixable and not r.unsafe_fix),
                         ("unsafe", lambda r: r.unsafe_fix)):
        rule = next(r for r in rules.values() if chosen(r))
        line = next(line for line in lines if line.startswith(rule.code))
        assert rule.name in line and str(rule.severity) in line and f" {word} " in line


def test_rules_json_and_markdown() -> None:
    status, text = invoke("rules", "--format", "json")
    entries = json.loads(text)
    assert status == 0 and {e["code"] for e in entries} == set(all_rules())
    assert set(entries[0]) == {"code", "name", "severity", "fixable", "unsafe_fix", "summary",
                               "doc"}
    assert invoke("rules", "--format", "markdown") == (0, docs.render_rules_markdown())


def test_explain_by_code_and_name() -> None:
    rule = all_rules()["R009"]
    status, text = invoke("--explain", "r009")
    assert status == 0 and text.startswith(f"R009 {rule.name} (") and rule.doc in text
    assert invoke("--explain", rule.name) == (0, text)
    result = CliRunner().invoke(lint_command, ["--explain", "Q123"])
    assert result.exit_code == 2 and "unknown rule 'Q123'" in result.stderr


def test_a_folder_named_rules_is_linted_with_a_path_prefix() -> None:
    result = CliRunner().invoke(lint_command, ["./rules"])
    assert result.exit_code == 2 and "rules" in result.stderr  # a path, not the listing


def test_rules_say_which_fixes_are_unsafe_as_the_fixer_does() -> None:
    """`rules`, --explain and docs/rules.md mark a rule fixable, and unsafe, exactly as the
    fixer's own table of fixes says."""
    from mlperf_repo_tools.fixing.meta_fixes import TAG_CODES
    from mlperf_repo_tools.fixing.row_fixes import ROW_FIXES
    from mlperf_repo_tools.fixing.runner import TREE_CODES
    from mlperf_repo_tools.rules import all_rules

    safety = {code: True for code in TAG_CODES} | {code: False for code in TREE_CODES}
    for fix in ROW_FIXES:
        safety.update(dict.fromkeys(fix.codes, fix.safe))
    rules = all_rules()
    assert {code for code, rule in rules.items() if rule.fixable} == set(safety)
    assert {code for code, rule in rules.items() if rule.unsafe_fix} == {
        code for code, safe in safety.items() if not safe}
