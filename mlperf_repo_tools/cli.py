"""Command line: ``mlperf-repo-lint [OPTIONS] [PATHS]...``.

Results go to stdout, status to stderr. Exit 0: clean; 1: findings; 2: usage, configuration
or internal error.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from mlperf_repo_tools import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(values: tuple[str, ...]) -> list[str]:
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def _explain(code: str) -> int:
    from mlperf_repo_tools.rules import all_rules

    rules = all_rules()
    rule = rules.get(code.upper()) or next((r for r in rules.values() if r.name == code), None)
    if rule is None:
        click.echo(f"error: unknown rule '{code}'", err=True)
        return EXIT_ERROR
    fix = "fixable" if rule.fixable else "not fixable"
    click.echo(f"{rule.code} {rule.name} ({rule.severity}, {fix})\n\n{rule.doc}")
    return EXIT_CLEAN


def _list_rules() -> int:
    from mlperf_repo_tools.rules import all_rules

    for rule in all_rules().values():
        fix = "fix" if rule.fixable else "   "
        click.echo(f"{rule.code}  {rule.name:<28} {rule.severity!s:<8} {fix}  {rule.summary}")
    return EXIT_CLEAN


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--output-format", type=click.Choice(["text", "json", "sarif"]), default="text",
              show_default=True, help="How findings are written to stdout.")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rule codes, code prefixes (M, R00) or names; comma-separated.")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Skip these rule codes, prefixes or names; comma-separated.")
@click.option("--all", "whole_repository", is_flag=True,
              help="Report on the whole repository of the given paths, not only on them.")
@click.option("--explain", metavar="CODE", help="Print one rule's documentation and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("-v", "--verbose", is_flag=True, help="Show diagnostics on stderr.")
@click.version_option(__version__, prog_name="mlperf-repo-lint")
def lint_command(paths: tuple[Path, ...], output_format: str, select: tuple[str, ...],
                 ignore: tuple[str, ...], whole_repository: bool, explain: str | None,
                 list_rules: bool, verbose: bool) -> None:
    """Check an MLPerf results repository in CM format (default: the current folder), or the
    given files of one, and report every finding as path:line:col: CODE message."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if explain:
        sys.exit(_explain(explain))
    if list_rules:
        sys.exit(_list_rules())
    sys.exit(_lint(list(paths) or [Path(".")], output_format, _codes(select), _codes(ignore),
                   whole_repository))


def _lint(paths: list[Path], output_format: str, select: list[str], ignore: list[str],
          whole_repository: bool) -> int:
    from mlperf_repo_tools.discovery import DiscoveryError
    from mlperf_repo_tools.engine import SelectionError, lint_paths
    from mlperf_repo_tools.reporting import REPORTERS

    try:
        result = lint_paths(paths, select, ignore, whole_repository)
    except (DiscoveryError, SelectionError) as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_ERROR
    except Exception as exc:  # an internal error must not end in a bare traceback
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        click.echo(f"internal error: {type(exc).__name__}: {exc} (run with -v for details)",
                   err=True)
        return EXIT_ERROR
    click.echo(REPORTERS[output_format](result.findings), nl=False)
    errors = sum(1 for f in result.findings if str(f.severity) == "error")
    warnings = len(result.findings) - errors
    click.echo(f"{len(result.findings)} findings ({errors} errors, {warnings} warnings) in "
               f"{result.files_checked} files, {result.rows_checked} rows", err=True)
    return EXIT_FINDINGS if result.findings else EXIT_CLEAN


def lint_main() -> None:
    lint_command(prog_name="mlperf-repo-lint")
