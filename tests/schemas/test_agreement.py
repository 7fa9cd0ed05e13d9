"""Partner agreement files: the options of the sharing protocol, and exact errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hub.admit.crime_codes import rsit_codes
from protocols.audience import DEFAULT_LIAISON_AGENCIES
from protocols.tlp import Tlp
from schemas.agreement import AgreementError, agreement_problems, load_agreement, load_agreements

SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "samples" / "partners"


def _write(directory: Path, partner: str, body: str) -> Path:
    path = directory / f"{partner}.yaml"
    path.write_text(f"id: {partner}\nname: {partner} Ltd\nsector: bank\n{body}", "utf-8")
    return path


def test_the_sample_agreements_are_valid_and_consistent() -> None:
    agreements = load_agreements(SAMPLES)
    assert sorted(agreements) == ["av-sentinel", "bank-meridian", "isp-northnet"]
    problems = agreement_problems(
        agreements, crime_codes=rsit_codes(), agencies=DEFAULT_LIAISON_AGENCIES
    )
    assert problems == []


def test_liaison_consent_as_a_list_or_with_a_ceiling_per_agency(tmp_path: Path) -> None:
    listed = load_agreement(_write(tmp_path, "bank-a", "liaison_consent: [nca]\n"))
    assert listed.liaison_ceiling("nca") is Tlp.AMBER
    assert listed.liaison_ceiling("interpol") is None
    mapped = load_agreement(
        _write(tmp_path, "bank-b", "liaison_consent: {nca: amber, interpol: TLP:GREEN}\n")
    )
    assert mapped.liaison_consent == {"nca": "TLP:AMBER", "interpol": "TLP:GREEN"}
    assert "interpol" in mapped.liaison_consent  # agencies iterate like the list form


def test_receives_takes_codes_and_category_globs(tmp_path: Path) -> None:
    agreement = load_agreement(
        _write(tmp_path, "bank-a", "receives: ['fraud/*', 'malicious-code/c2-server']\n")
    )
    assert agreement.receives_crime_code("fraud/phishing")
    assert agreement.receives_crime_code("malicious-code/c2-server")
    assert not agreement.receives_crime_code("malicious-code/infected-system")
    everything = load_agreement(_write(tmp_path, "bank-b", "receives: ['*']\nembargo: PT20S\n"))
    assert everything.receives_crime_code("other/undetermined")
    assert everything.embargo == timedelta(seconds=20)


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ("liaison_consent: {nca: red}\n", "liaison_consent", "consent covers TLP:GREEN or"),
        ("liaison_consent: {nca: purple}\n", "liaison_consent", "is not a TLP level"),
        ("liaison_consent: [NCA!]\n", "liaison_consent", "should match pattern"),
        ("receives: ['fraud']\n", "receives.0", "should match pattern"),
        ("amber_recipients: ['Not An Id']\n", "amber_recipients.0", "should match pattern"),
        ("embargo: -PT1H\n", "embargo", "cannot be negative"),
        ("redact: [postcode]\n", "redact.0", "Input should be"),
        ("max_marking: TLP:BLUE\n", "max_marking", "is not a TLP level"),
    ],
)
def test_errors_name_the_file_the_field_and_the_reason(
    tmp_path: Path, body: str, field: str, reason: str
) -> None:
    path = _write(tmp_path, "bank-a", body)
    with pytest.raises(AgreementError) as error:
        load_agreement(path)
    assert error.value.path == path
    [problem] = error.value.problems
    assert problem.startswith(f"field '{field}")
    assert reason in problem


def test_problems_across_files_are_found_by_partners_check(tmp_path: Path) -> None:
    _write(tmp_path, "bank-a", "amber_recipients: [isp-z, bank-a]\nreceives: ['frod/*']\n")
    _write(
        tmp_path,
        "bank-b",
        "receives: ['fraud/phishing', 'fraud/*', '*']\nliaison_consent: [europol]\n",
    )
    problems = agreement_problems(
        load_agreements(tmp_path), crime_codes=rsit_codes(), agencies=("nca", "interpol")
    )
    assert [(p.partner, p.field, p.fatal) for p in problems] == [
        ("bank-a", "amber_recipients.0", True),
        ("bank-a", "amber_recipients.1", False),
        ("bank-a", "receives.0", True),
        ("bank-b", "liaison_consent.europol", False),
    ]
    assert "'isp-z' is not a partner" in str(problems[0])
