"""Configuration in the results repository: .mlperf-repo-tools.toml, [tool.mlperf-repo-tools]
in pyproject.toml, --config; select, ignore, per-file-ignores, severity, vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import INFERENCE_ALIAS, inference_row, result_rel, with_aggregates, write_repo
from click.testing import CliRunner

from mlperf_repo_tools.cli import lint_command
from mlperf_repo_tools.config import ConfigError, load_config
from mlperf_repo_tools.engine import lint_paths
from mlperf_repo_tools.findings import Severity
from mlperf_repo_tools.vocabulary import load_vocabularies

NEW_MODEL_ROW = {"MlperfModel": "resnet-next", "Model": "resnet-next",
                 "Location": "closed/Zeta/results/zbox_1/resnet-next/Offline",
                 "url": "https://github.com/mlcommons/inference_results_v4.0/tree/master/"
                        "closed/Zeta/results/zbox_1/resnet-next/Offline"}


def repo_with(tmp_path: Path, **row_changes: object) -> Path:
    rows = [inference_row(**row_changes)]
    return write_repo(tmp_path / "repo", with_aggregates({INFERENCE_ALIAS: rows}))


def codes(root: Path, config_text: str | None = None, name: str = ".mlperf-repo-tools.toml"
          ) -> list[str]:
    if config_text is not None:
        (root / name).write_text(config_text, encoding="utf-8")
    config = load_config(root, None)
    return [f.code for f in lint_paths([root], config=config).findings]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(lint_command, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_defaults_without_a_file(tmp_path: Path) -> None:
    root = repo_with(tmp_path)
    config = load_config(root, None)
    assert config.source is None and not config.select and not config.vocabulary


def test_ignore_from_dotfile_and_pyproject(tmp_path: Path) -> None:
    root = repo_with(tmp_path, Status="x", Availability="Available")
    before = codes(root)
    assert "R003" in before
    assert "R003" not in codes(root, 'ignore = ["R003"]\n')
    (root / ".mlperf-repo-tools.toml").unlink()
    assert "R003" not in codes(root, '[tool.mlperf-repo-tools]\nignore = ["R003"]\n',
                               "pyproject.toml")
    # A pyproject.toml without the table is not a configuration.
    assert codes(root, '[project]\nname = "x"\n', "pyproject.toml") == before


def test_dotfile_wins_over_pyproject(tmp_path: Path) -> None:
    root = repo_with(tmp_path, Availability="Available")
    (root / "pyproject.toml").write_text('[tool.mlperf-repo-tools]\nselect = ["M"]\n')
    (root / ".mlperf-repo-tools.toml").write_text('select = ["R003"]\n')
    assert load_config(root, None).source == root / ".mlperf-repo-tools.toml"
    assert set(codes(root)) == {"R003"}


def test_select_per_file_ignores_and_severity(tmp_path: Path) -> None:
    root = repo_with(tmp_path, Availability="Available")
    aggregate = INFERENCE_ALIAS.replace("--v4.0--", "--all--")
    config_text = (f'select = ["R"]\n[per-file-ignores]\n"experiment/{aggregate}/*" = ["R003"]\n'
                   '[severity]\nR003 = "warning"\n')
    (root / ".mlperf-repo-tools.toml").write_text(config_text)
    findings = lint_paths([root], config=load_config(root, None)).findings
    assert [(f.code, f.location.path, f.severity) for f in findings] == [
        ("R003", result_rel(INFERENCE_ALIAS), Severity.WARNING)]


def test_severity_most_specific_entry_wins(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[severity]\nR = "warning"\nR003 = "error"\n')
    config = load_config(None, tmp_path / "c.toml")
    assert config.severity["R003"] is Severity.ERROR
    assert config.severity["R002"] is Severity.WARNING


def test_cli_select_replaces_config_and_ignore_adds(tmp_path: Path) -> None:
    root = repo_with(tmp_path, Availability="Available", Result="fast")
    (root / ".mlperf-repo-tools.toml").write_text('select = ["R002"]\n')
    assert set(codes(root)) == {"R002"}
    status, out, _ = run(str(root), "--select", "R003")
    assert status == 1 and " R003 " in out and " R002 " not in out
    status, out, _ = run(str(root), "--ignore", "R002")
    assert status == 0 and out == ""


def test_vocabulary_extension_accepts_a_new_model(tmp_path: Path) -> None:
    root = repo_with(tmp_path, **NEW_MODEL_ROW)
    assert "R003" in codes(root)
    extension = '[vocabulary.inference.rounds."v4.0"]\nmodels = ["resnet-next"]\n' \
                '[vocabulary.inference.models.resnet-next]\ntask = "image-classification"\n' \
                'accuracy = "percent"\n'
    (root / ".mlperf-repo-tools.toml").write_text(extension)
    assert "R003" not in codes(root)
    # The extension lasts for the run only: the shipped vocabulary is back afterwards.
    assert "resnet-next" not in load_vocabularies()["inference"].data["rounds"]["v4.0"]["models"]


@pytest.mark.parametrize(("text", "named"), [
    ('selct = ["M"]\n', "unknown key 'selct'"),
    ('select = ["Q999"]\n', "unknown rule code or name 'Q999'"),
    ('ignore = ["R999"]\n', "'R999'"),
    ('[per-file-ignores]\n"x/*" = ["Z1"]\n', "'Z1'"),
    ('[severity]\nR003 = "fatal"\n', "'error' or 'warning'"),
    ('[severity]\nnot-a-rule = "error"\n', "'not-a-rule'"),
    ('[vocabulary.inferense]\nmodels = {}\n', "unknown vocabulary family 'inferense'"),
    ('[vocabulary.inference]\nmodles = {}\n', "vocabulary.inference.modles"),
    ('[vocabulary.inference.rounds."v5.0"]\nmodels = "llama"\n', "vocabulary.inference"),
    ('select = [\n', "not valid TOML"),
])
def test_bad_configuration_is_exit_2_naming_it(tmp_path: Path, text: str, named: str) -> None:
    root = repo_with(tmp_path)
    path = root / ".mlperf-repo-tools.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r".mlperf-repo-tools.toml"):
        load_config(root, None)
    status, out, err = run(str(root))
    assert status == 2 and out == ""
    assert str(path) in err and named in err and "Traceback" not in err


def test_explicit_config_file(tmp_path: Path) -> None:
    root = repo_with(tmp_path, Availability="Available")
    other = tmp_path / "strict.toml"
    other.write_text('ignore = ["R003"]\n')
    assert run(str(root), "--config", str(other))[0] == 0
    status, _, err = run(str(root), "--config", str(tmp_path / "missing.toml"))
    assert status == 2 and "missing.toml" in err
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.mlperf-repo-tools]\nignore = ["R003"]\n')
    assert run(str(root), "--config", str(pyproject))[0] == 0


def test_config_of_a_file_path_is_the_repository_root(tmp_path: Path) -> None:
    root = repo_with(tmp_path, Availability="Available")
    (root / ".mlperf-repo-tools.toml").write_text('ignore = ["R003"]\n')
    assert run(str(root / result_rel(INFERENCE_ALIAS)))[0] == 0
    assert json.loads(run(str(root), "--output-format", "json")[1]) == []
