"""Command line: ``mlperf-repo-fix [OPTIONS] [PATHS]...``.

Fixes what can be fixed, then lints what it was given and reports what remains. Exit 0: it
changed nothing and nothing remains; 1: it changed files, or findings remain (as
pre-commit's fixers do, so a commit that the hook changed is stopped for review); 2: usage,
configuration or internal error.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from mlperf_repo_tools import __version__
from mlperf_repo_tools.cli import split_codes

EXIT_CLEAN, EXIT_CHANGED, EXIT_ERROR = 0, 1, 2
DERIVE_CODES = ("R008", "R009")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--derive", is_flag=True,
              help="Only derived metrics (Inference_per_Joule, Accuracy_div_100).")
@click.option("--diff", "dry_run", is_flag=True,
              help="Print a unified diff of what would change; write nothing.")
@click.option("--unsafe-fixes", "unsafe", is_flag=True,
              help="Also apply fixes that need judgment (typo folders, placeholders, links, "
                   "case, LLM units).")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only fixes (and findings) of these rule codes, prefixes or names.")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Skip fixes (and findings) of these rule codes, prefixes or names.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), metavar="FILE",
              help="Read the configuration from FILE instead of the repository's "
                   ".mlperf-repo-tools.toml or pyproject.toml.")
@click.option("--output-format", type=click.Choice(["text", "json", "sarif", "github"]),
              default="text", show_default=True,
              help="How the remaining findings are written to stdout.")
@click.option("-q", "--quiet", is_flag=True, help="Do not list the remaining findings.")
@click.option("-v", "--verbose", is_flag=True, help="Show diagnostics on stderr.")
@click.version_option(__version__, prog_name="mlperf-repo-fix")
def fix_command(paths: tuple[Path, ...], derive: bool, dry_run: bool, unsafe: bool,
                select: tuple[str, ...], ignore: tuple[str, ...], config_path: Path | None,
                output_format: str, quiet: bool, verbose: bool) -> None:
    """Fix an MLPerf results repository in CM format (default: the current folder), or the
    given files of one: tags, duplicate rows, split power rows, derived metrics, aggregates;
    with --unsafe-fixes also misspelt experiments, placeholders, links, case and units."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        code = _fix(list(paths) or [Path(".")], derive, dry_run, unsafe, split_codes(select),
                    split_codes(ignore), config_path, output_format, quiet)
    except BrokenPipeError:  # the reader of stdout went away (| head): stop quietly
        _silence_stdout()
        code = EXIT_ERROR
    except Exception as exc:  # an internal error must not end in a bare traceback
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        click.echo(f"internal error: {type(exc).__name__}: {exc} (run with -v for details)",
                   err=True)
        code = EXIT_ERROR
    sys.exit(code)


def _fix(paths: list[Path], derive: bool, dry_run: bool, unsafe: bool, select: list[str],
         ignore: list[str], config_path: Path | None, output_format: str, quiet: bool) -> int:
    from mlperf_repo_tools.cli import UsageProblem, load_run_config
    from mlperf_repo_tools.discovery import DiscoveryError
    from mlperf_repo_tools.engine import Linter, SelectionError, select_rules
    from mlperf_repo_tools.fixing.runner import FixError, FixOptions, fix_paths
    from mlperf_repo_tools.reporting import REPORTERS
    from mlperf_repo_tools.vocabulary import extend_vocabularies

    if derive and unsafe:
        click.echo("warning: --unsafe-fixes adds nothing to --derive, whose fixes are all safe",
                   err=True)
    try:
        config = load_run_config(paths, config_path)
        chosen = config.rules(select, ignore)
        kept = select_rules((), [*config.ignore, *ignore])
        options = FixOptions(unsafe=unsafe, derive_only=derive, dry_run=dry_run,
                             selected=chosen.__contains__,
                             ignored=lambda code: code not in kept,
                             excused=config.excused_codes)
        extend_vocabularies(config.vocabulary)
        try:
            report = fix_paths(paths, options)
        finally:
            extend_vocabularies({})
    except (DiscoveryError, SelectionError, FixError, UsageProblem) as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_ERROR
    for text in report.diffs:
        click.echo(text, nl=False)
    _summarise(report, dry_run)
    if report.errors:
        for message in report.errors:
            click.echo(f"error: {message}", err=True)
        return EXIT_ERROR
    changed = bool(report.changed or report.moves)
    if dry_run:
        return EXIT_CHANGED if changed else EXIT_CLEAN
    remaining = [p for p in paths if p.exists() or p.is_symlink()]
    remaining += report.moved_to
    if derive:  # report what --derive is about, not every other rule
        chosen = {c: r for c, r in chosen.items() if c in DERIVE_CODES}
    findings = Linter(chosen, config).run(remaining).findings if remaining and chosen else []
    if findings and not quiet:
        click.echo(REPORTERS[output_format](findings), nl=False)
    click.echo(f"{len(findings)} finding{'s remain' if len(findings) != 1 else ' remains'}",
               err=True)
    return EXIT_CHANGED if changed or findings else EXIT_CLEAN


def _summarise(report: object, dry_run: bool) -> None:
    from mlperf_repo_tools.fixing.runner import FixReport
    from mlperf_repo_tools.reporting import counted

    assert isinstance(report, FixReport)
    verb = "would fix" if dry_run else "fixed"
    for message in report.skipped:
        click.echo(message, err=True)
    for move in report.moves:
        how = "merged into" if move.merged else "renamed to"
        click.echo(f"{move.experiment}: {'would be ' if dry_run else ''}{how} {move.corrected} "
                   "(M003)", err=True)
    counts = report.counts
    if report.moves:
        counts["M003"] += len(report.moves)
    if counts:
        detail = ", ".join(f"{code} {count}" for code, count in sorted(counts.items()))
        click.echo(f"{verb} {counted(sum(counts.values()), 'problem')} in "
                   f"{counted(len(report.changed), 'file')} ({detail})", err=True)
    else:
        click.echo("nothing to fix", err=True)


def fix_main() -> None:
    from mlperf_repo_tools.cli import escape_unencodable_output

    escape_unencodable_output()
    fix_command(prog_name="mlperf-repo-fix")


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush raises no second error."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
