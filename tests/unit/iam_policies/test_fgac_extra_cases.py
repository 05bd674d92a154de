"""Every case of ``tests/corpus/fgac-extra-cases.json``: the spec's rules on cases the public file lacks.

The corpus reconstructs the cases ``fgac-semantics.md`` names but ``fgac-cases.json`` does not hold
(A14, A18, B02, E07, I01, J10, K13, K22, M03, T06, ...) and adds one case per rule of spec sections
A-D and G that no public case exercises (``tests/corpus/PROVENANCE.md`` says where each comes from).
Each expectation was written from the spec's rules, not from this engine's answers.

Two tests per case, as for the public file (``test_fgac_cases.py``):

- ``test_evaluator_on_the_given_context``: the evaluator alone on the context the case states.
- ``test_case_end_to_end``: derivation from the raw API request plus evaluation; the decision and
  deny type must match, and for ``documented`` cases the derived context must equal the stated one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iam_policies.simulation import decide_case
from tests.unit.iam_policies.cases import check_end_to_end, decide_on_given_context

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "fgac-extra-cases.json"
CASES: list[dict[str, Any]] = json.loads(CORPUS.read_text())
IDS = [c["id"] for c in CASES]


def test_the_corpus_is_well_formed() -> None:
    assert len(CASES) >= 150 and len(set(IDS)) == len(IDS)
    for case in CASES:
        assert case["expected"] in ("Allow", "Deny") and case["confidence"] in ("documented", "inferred")
        assert (case.get("deny_type") is not None) == (case["expected"] == "Deny"), case["id"]
        assert case["source"] and case["why"] and case["request"]["operation"]



@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_evaluator_on_the_given_context(case: dict[str, Any]) -> None:
    assert decide_on_given_context(case) == (case["expected"], case.get("deny_type"))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case_end_to_end(case: dict[str, Any]) -> None:
    outcome = decide_case(case)
    assert outcome.error is None, outcome.error
    check_end_to_end(case, outcome)




def test_simulate_command_matches_every_case(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m iam_policies simulate tests/corpus/fgac-extra-cases.json`` exits 0 (all match)."""
    from iam_policies.__main__ import main

    assert main(["simulate", str(CORPUS)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"{len(CASES)}/{len(CASES)} matched expectations")
