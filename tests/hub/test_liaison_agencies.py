"""The worker publishes to every liaison agency the hub config names, not only the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.context import configured_agencies
from schemas.hub_config import HubConfigError


def test_agencies_of_the_config_join_the_defaults(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("liaison_agencies: [europol]\n", encoding="utf-8")
    assert configured_agencies(config) == ("europol", "interpol", "nca")


def test_an_agency_with_an_officer_account_counts_too(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(
        "liaison:\n  - name: fiod-officer\n    agency: fiod\n    credentials:\n"
        "      - {kind: token, hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA'}\n",
        encoding="utf-8",
    )
    assert "fiod" in configured_agencies(config)


def test_without_a_config_the_defaults_remain(tmp_path: Path) -> None:
    assert configured_agencies(tmp_path / "absent.yaml") == ("nca", "interpol")


def test_a_config_that_does_not_validate_is_an_error_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("liaison_agencies: ['Not An Agency!']\n", encoding="utf-8")
    with pytest.raises(HubConfigError, match="liaison_agencies"):
        configured_agencies(config)
