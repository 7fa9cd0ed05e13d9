from __future__ import annotations

import pytest

from hub.api.taxii.media import accepts_taxii, is_taxii_content


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "application/taxii+json;version=2.1",
        "application/taxii+json; version=2.1",
        "application/taxii+json",
        "application/json, application/taxii+json;version=2.1;q=0.5",
        "*/*",
        "application/*",
    ],
)
def test_accepted(accept: str | None) -> None:
    assert accepts_taxii(accept)


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "application/taxii+json;version=2.0",
        "application/stix+json;version=2.1",
        "application/taxii+json;version=2.1;q=0",
    ],
)
def test_refused(accept: str) -> None:
    assert not accepts_taxii(accept)


def test_content_type_must_be_one_taxii_21_envelope() -> None:
    assert is_taxii_content("application/taxii+json;version=2.1")
    assert is_taxii_content("application/taxii+json")
    assert not is_taxii_content(None)
    assert not is_taxii_content("application/json")
    assert not is_taxii_content("application/taxii+json;version=2.0")
