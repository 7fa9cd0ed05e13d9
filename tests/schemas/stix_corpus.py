"""Loads the labelled STIX 2.1 corpus in ``corpus/``: objects with the verdict the spec gives.

Each case is ``{"name", "expect", "spec", "object"}``: ``expect`` is
``"valid"`` or the rule code of the (single) defect, ``spec`` the section
and rule of the STIX 2.1 specification that decides it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Case:
    """One labelled object of the corpus."""

    group: str
    name: str
    expect: str
    spec: str
    object: Any

    @property
    def id(self) -> str:
        return f"{self.group}:{self.name}"

    @property
    def valid(self) -> bool:
        return self.expect == "valid"


def load_corpus() -> list[Case]:
    """Every case of every corpus file, in file order."""
    cases = []
    for path in sorted(CORPUS_DIR.glob("*.json")):
        for raw in json.loads(path.read_text(encoding="utf-8")):
            cases.append(Case(path.stem, raw["name"], raw["expect"], raw["spec"], raw["object"]))
    return cases


CORPUS = load_corpus()
