"""C: the repository meta, `cmr.yaml`."""

from __future__ import annotations

from collections.abc import Iterator

from mlperf_repo_tools.findings import Problem
from mlperf_repo_tools.loading import Document
from mlperf_repo_tools.rules import rule
from mlperf_repo_tools.schemas import document_errors


@rule("C001", "repo-meta-schema", scope="repo-meta")
def repo_meta_schema(doc: Document) -> Iterator[Problem]:
    """`cmr.yaml` does not match `schemas/cmr.schema.json`.

    Why: cmind refuses a repository without a valid alias and uid, reads `prefix` to find
    the experiments, and reads `deps` by `alias` (an old revision of the real repository
    wrote `name`, which cmind ignores).

    Fails: `deps: [{name: mlcommons@ck}]`, `uid: 6FBF42FA`
    Passes: `alias: mlcommons@cm4mlperf-results`, `uid: 6fbf42fa292142da`,
    `deps: [{alias: mlcommons@ck, uid: a4705959af8e447a}]`
    """
    for error in document_errors("cmr", doc.data):
        yield Problem(error.parts, error.message)
