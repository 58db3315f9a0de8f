"""Command line: ``mlperf-repo-lint [check] [OPTIONS] [PATHS]...`` and
``mlperf-repo-lint rules``.

Results go to stdout, status to stderr. Exit 0: clean; 1: findings; 2: usage, configuration
or internal error.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mlperf_repo_tools import __version__

if TYPE_CHECKING:
    from mlperf_repo_tools.baseline import BaselineEntry
    from mlperf_repo_tools.config import Config
    from mlperf_repo_tools.engine import LintResult
    from mlperf_repo_tools.findings import Finding
    from mlperf_repo_tools.reporting.github import RunTotals

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMATS = ["text", "json", "sarif", "github"]
STALE_SHOWN = 10  # stale baseline entries listed on stderr; the rest are counted


class UsageProblem(Exception):
    """Bad input from the user (config, baseline, git revision): exit 2 with the message."""


def split_codes(values: tuple[str, ...]) -> list[str]:
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


class _DefaultToCheck(click.Group):
    """``rules`` is a subcommand; anything else is the arguments of ``check``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands:
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultToCheck)
def lint_command() -> None:
    """Lint MLPerf results repositories in CM format."""


@lint_command.command("rules")
@click.option("--format", "rules_format", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True)
def rules_command(rules_format: str) -> None:
    """List every rule: code, name, severity, fixable or not, summary."""
    from mlperf_repo_tools import docs

    render = {"text": docs.render_rules_text, "json": docs.render_rules_json,
              "markdown": docs.render_rules_markdown}[rules_format]
    click.echo(render(), nl=False)


@dataclass
class LintOptions:
    output_format: str | None
    select: list[str]
    ignore: list[str]
    whole_repository: bool
    config: Path | None
    baseline: Path | None
    write_baseline: Path | None
    since: str | None
    statistics: bool
    sarif_file: Path | None


@lint_command.command("check", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--output-format", type=click.Choice(FORMATS), default=None,
              help="How findings are written to stdout [default: text; github when "
                   "GITHUB_ACTIONS=true].")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rule codes, code prefixes (M, R00) or names; comma-separated. "
                   "Replaces the configured selection.")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Skip these rule codes, prefixes or names; comma-separated.")
@click.option("--all", "whole_repository", is_flag=True,
              help="Report on the whole repository of the given paths, not only on them.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), metavar="FILE",
              help="Read the configuration from FILE instead of the repository's "
                   ".mlperf-repo-tools.toml or pyproject.toml.")
@click.option("--baseline", type=click.Path(path_type=Path), metavar="FILE",
              help="Report only findings that FILE (from --write-baseline) does not hold.")
@click.option("--write-baseline", type=click.Path(path_type=Path), metavar="FILE",
              help="Record the findings in FILE and exit 0. With --baseline FILE: drop its "
                   "stale entries only.")
@click.option("--since", metavar="REF",
              help="Check only the files changed between git revision REF and the working "
                   "tree, with the repository-wide consistency of their experiments.")
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of findings.")
@click.option("--sarif-file", type=click.Path(path_type=Path), metavar="FILE",
              help="Also write the findings as SARIF to FILE.")
@click.option("--explain", metavar="CODE", help="Print one rule's documentation and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit (as 'rules').")
@click.option("-v", "--verbose", is_flag=True, help="Show diagnostics on stderr.")
@click.version_option(__version__, prog_name="mlperf-repo-lint")
def check_command(paths: tuple[Path, ...], output_format: str | None, select: tuple[str, ...],
                  ignore: tuple[str, ...], whole_repository: bool, config_path: Path | None,
                  baseline: Path | None, write_baseline: Path | None, since: str | None,
                  statistics: bool, sarif_file: Path | None, explain: str | None,
                  list_rules: bool, verbose: bool) -> None:
    """Check an MLPerf results repository in CM format (default: the current folder), or the
    given files of one, and report every finding as path:line:col: CODE message.

    `mlperf-repo-lint rules` lists the rules (a folder named 'rules' is linted as ./rules)."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if explain:
        sys.exit(_explain(explain))
    if list_rules:
        rules_command.callback(rules_format="text")  # type: ignore[misc]
        sys.exit(EXIT_CLEAN)
    options = LintOptions(output_format, split_codes(select), split_codes(ignore), whole_repository,
                          config_path, baseline, write_baseline, since, statistics, sarif_file)
    sys.exit(_lint(list(paths) or [Path(".")], options))


def _explain(code: str) -> int:
    from mlperf_repo_tools.docs import find_rule, render_explanation

    rule = find_rule(code)
    if rule is None:
        click.echo(f"error: unknown rule '{code}'", err=True)
        return EXIT_ERROR
    click.echo(render_explanation(rule), nl=False)
    return EXIT_CLEAN


def _lint(paths: list[Path], options: LintOptions) -> int:
    from mlperf_repo_tools.discovery import DiscoveryError
    from mlperf_repo_tools.engine import SelectionError

    try:
        return _run(paths, options)
    except (DiscoveryError, SelectionError, UsageProblem) as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_ERROR
    except BrokenPipeError:  # the reader of stdout went away (| head): stop quietly
        _silence_stdout()
        return EXIT_ERROR
    except Exception as exc:  # an internal error must not end in a bare traceback
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        click.echo(f"internal error: {type(exc).__name__}: {exc} (run with -v for details)",
                   err=True)
        return EXIT_ERROR


def _run(paths: list[Path], options: LintOptions) -> int:
    from mlperf_repo_tools.engine import Linter
    from mlperf_repo_tools.reporting.progress import ProgressBar

    config = load_run_config(paths, options.config)
    entries = _read_baseline(options.baseline)
    _check_writable(options.sarif_file)
    _warn_unchecked_files(paths)
    if options.since is not None:
        paths = _changed_paths(paths, options.since)
        if not paths:
            click.echo(f"no experiment meta, result file or cmr.yaml changed since "
                       f"{options.since}", err=True)
            return EXIT_CLEAN
    progress = ProgressBar(sys.stderr)
    linter = Linter(config.rules(options.select, options.ignore), config,
                    fingerprints=entries is not None or options.write_baseline is not None,
                    progress=progress)
    try:
        result = linter.run(paths, options.whole_repository)
    finally:
        progress.finish()
    return _report(result, entries, options)


def _check_writable(path: Path | None) -> None:
    """Fail before the run, not after it, when an output file cannot be written."""
    if path is None:
        return
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageProblem(f"{path}: cannot write SARIF: it is a folder")
    if not folder.is_dir():
        raise UsageProblem(f"{path}: cannot write SARIF: no folder {folder}")
    if not os.access(folder, os.W_OK):
        raise UsageProblem(f"{path}: cannot write SARIF: the folder is not writable")


def _warn_unchecked_files(paths: list[Path]) -> None:
    from mlperf_repo_tools.discovery import FORMAT_FILES

    for path in paths:
        if path.is_file() and path.name not in FORMAT_FILES:
            names = ", ".join(sorted(FORMAT_FILES))
            click.echo(f"warning: {path}: not a file of the format ({names}); not checked",
                       err=True)


def load_run_config(paths: list[Path], explicit: Path | None) -> Config:
    from mlperf_repo_tools.config import ConfigError, load_config
    from mlperf_repo_tools.discovery import find_root

    # The first path's repository configures the whole run.
    root = find_root(paths[0]) if paths[0].exists() else None
    try:
        return load_config(root, explicit)
    except ConfigError as exc:
        raise UsageProblem(str(exc)) from None


def _read_baseline(path: Path | None) -> list[BaselineEntry] | None:
    from mlperf_repo_tools.baseline import BaselineError, read_baseline

    if path is None:
        return None
    try:
        return read_baseline(path)
    except BaselineError as exc:
        raise UsageProblem(str(exc)) from None


def _changed_paths(paths: list[Path], ref: str) -> list[Path]:
    """The lint targets changed since ``ref`` that lie under one of ``paths``."""
    from mlperf_repo_tools.changes import GitError, changed_since

    try:
        changes = changed_since(paths[0].resolve(), ref)
    except GitError as exc:
        raise UsageProblem(str(exc)) from None
    roots = [p.resolve() for p in paths]
    return [t for t in changes.lint_targets()
            if any(t == r or r in t.parents for r in roots)]


def _report(result: LintResult, entries: list[BaselineEntry] | None,
            options: LintOptions) -> int:
    from mlperf_repo_tools.baseline import compare
    from mlperf_repo_tools.reporting.github import RunTotals

    findings = known = result.findings
    totals = RunTotals(result.files_checked, result.rows_checked)
    if entries is not None:
        outcome = compare(entries, findings, result.covers)
        findings, known = outcome.new, outcome.known
        totals.known, totals.stale = len(known), sum(e.count for e in outcome.stale)
        _report_stale(outcome.stale, options.baseline)
    if options.write_baseline is not None:
        _write_baseline(options.write_baseline, known)  # with --baseline: shrink, never grow
        return EXIT_CLEAN
    _write_findings(findings, options)
    _write_step_summary(findings, totals)
    _summary_line(findings, totals)
    return EXIT_FINDINGS if findings else EXIT_CLEAN


def _write_baseline(path: Path, findings: list[Finding]) -> None:
    from mlperf_repo_tools.baseline import write_baseline

    try:
        written = write_baseline(path, findings)
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot write the baseline: {exc.strerror}") from None
    click.echo(f"wrote {written} baseline entries ({len(findings)} findings) to {path}",
               err=True)


def _write_findings(findings: list[Finding], options: LintOptions) -> None:
    from mlperf_repo_tools.reporting import REPORTERS
    from mlperf_repo_tools.reporting.statistics import render_statistics

    output_format = options.output_format or (
        "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    if options.statistics:
        click.echo(render_statistics(findings, output_format), nl=False)
    else:
        click.echo(REPORTERS[output_format](findings), nl=False)
    if options.sarif_file is not None:
        try:
            options.sarif_file.write_text(REPORTERS["sarif"](findings), encoding="utf-8")
        except OSError as exc:
            raise UsageProblem(f"{options.sarif_file}: cannot write SARIF: {exc.strerror}"
                               ) from None


def _report_stale(stale: list[BaselineEntry], baseline: Path | None) -> None:
    if not stale:
        return
    from mlperf_repo_tools.reporting import counted

    entries = counted(len(stale), "baseline entry", "baseline entries")
    findings = counted(sum(e.count for e in stale), "finding")
    click.echo(f"{baseline}: {entries} ({findings}) without a finding any more (fixed); "
               f"drop them with --baseline {baseline} --write-baseline {baseline}", err=True)
    for entry in stale[:STALE_SHOWN]:
        click.echo(f"    stale: {entry.path}: {entry.code} {entry.message}", err=True)
    if len(stale) > STALE_SHOWN:
        click.echo(f"    ... and {len(stale) - STALE_SHOWN} more", err=True)


def _write_step_summary(findings: list[Finding], totals: RunTotals) -> None:
    from mlperf_repo_tools.reporting.github import render_step_summary

    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(render_step_summary(findings, totals))
    except OSError as exc:
        click.echo(f"warning: cannot write the step summary to {target}: {exc.strerror}",
                   err=True)


def _summary_line(findings: list[Finding], totals: RunTotals) -> None:
    from mlperf_repo_tools.reporting import counted

    errors = sum(1 for f in findings if str(f.severity) == "error")
    warnings = len(findings) - errors
    known = f", {totals.known} known from the baseline" if totals.known else ""
    click.echo(f"{counted(len(findings), 'finding')} ({counted(errors, 'error')}, "
               f"{counted(warnings, 'warning')}{known}) in "
               f"{counted(totals.files_checked, 'file')}, {counted(totals.rows_checked, 'row')}",
               err=True)


def lint_main() -> None:
    escape_unencodable_output()
    lint_command(prog_name="mlperf-repo-lint")


def escape_unencodable_output() -> None:
    """Findings quote file content, which may hold a lone surrogate (an escaped half of a
    UTF-16 pair): write it as a backslash escape rather than fail."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush raises no second error."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
