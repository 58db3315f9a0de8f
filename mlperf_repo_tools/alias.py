"""Experiment aliases, such as
``mlperf-inference--v3.1--edge--closed-power--image-classification--offline``.

The alias names an experiment's family, round and the rest of what its rows must agree with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlperf_repo_tools.vocabulary import Vocabulary, load_vocabularies

AGGREGATE_VERSION = "all"


@dataclass
class Alias:
    text: str
    vocab: Vocabulary | None = None
    parts: list[str] = field(default_factory=list)  # the parts after the family prefix
    fields: dict[str, str] = field(default_factory=dict)  # version, category, division, ...

    @property
    def family(self) -> str | None:
        return self.vocab.family if self.vocab else None

    @property
    def complete(self) -> bool:
        return self.vocab is not None and len(self.parts) == len(self.vocab.alias_parts)

    @property
    def version(self) -> str | None:
        return self.fields.get("version")

    @property
    def is_aggregate(self) -> bool:
        return self.version == AGGREGATE_VERSION

    def get(self, name: str) -> str | None:
        return self.fields.get(name)


def parse_alias(text: str) -> Alias:
    """Split an alias into its named parts. An alias of unknown family or with the wrong number
    of parts still yields what can be read, so row checks can go on."""
    pieces = text.split("--")
    alias = Alias(text)
    for vocab in load_vocabularies().values():
        if pieces[0] == vocab.prefix:
            alias.vocab = vocab
            break
    if alias.vocab is None:
        return alias
    alias.parts = pieces[1:]
    if alias.complete:
        alias.fields = dict(zip(alias.vocab.alias_parts, alias.parts, strict=True))
    elif alias.parts:
        alias.fields = {"version": alias.parts[0]}
    return alias


def expected_tags(alias: Alias) -> list[str] | None:
    """Tags by the repository's convention: 'mlperf', the alias parts in order, the family tag,
    then 'power' or 'network' as the division says. None if the alias cannot be read."""
    if not alias.complete or alias.vocab is None:
        return None
    tags = ["mlperf", alias.vocab.prefix, *alias.parts]
    tags.extend(alias.vocab.family_tags(alias.get("division")))
    seen: set[str] = set()
    return [t for t in tags if not (t in seen or seen.add(t))]  # type: ignore[func-returns-value]
