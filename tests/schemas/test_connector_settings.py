"""Connector settings in partner agreements: typed, validated, errors naming the field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from schemas.agreement import AgreementError, load_agreement
from schemas.connectors import (
    ConnectorCredentials,
    IspCsvSettings,
    MispSettings,
    TaxiiPullSettings,
)

HEAD = "id: isp-a\nname: ISP A\nsector: isp\n"


def _agreement(tmp_path: Path, connectors: str) -> Path:
    path = tmp_path / "isp-a.yaml"
    path.write_text(HEAD + "connectors:\n" + connectors, "utf-8")
    return path


def test_each_kind_with_its_own_settings(tmp_path: Path) -> None:
    agreement = load_agreement(
        _agreement(
            tmp_path,
            """
  - kind: taxii
    url: https://taxii.isp-a.example/api/collections/42/
    interval: PT15M
    credentials: {username: hub, password_env: ISP_A_TAXII_PASSWORD}
  - kind: isp-csv
    name: drones
    path: reports/drone-*.csv
    interval: 3600
    columns: {malware_family: infection, c2_ip: cc, geo: null}
  - kind: misp
    url: https://misp.isp-a.example/feeds/events.json
""",
        )
    )
    taxii, csv, misp = agreement.connectors
    assert isinstance(taxii, TaxiiPullSettings) and taxii.interval == timedelta(minutes=15)
    assert taxii.label == "taxii" and taxii.page_size == 500
    assert isinstance(csv, IspCsvSettings) and csv.label == "drones"
    assert csv.interval == timedelta(hours=1) and csv.report == "infected"
    assert csv.columns.mapped()["c2_ip"] == "cc" and "geo" not in csv.columns.mapped()
    assert isinstance(misp, MispSettings) and misp.interval is None  # runs from the CLI only


@pytest.mark.parametrize(
    ("connectors", "problem"),
    [
        ("  - {kind: ftp, path: x}\n", "field 'connectors.0'"),
        (
            "  - {kind: misp, path: a.json, url: 'https://x.example/a.json'}\n",
            "exactly one of path or url",
        ),
        ("  - {kind: misp}\n", "exactly one of path or url"),
        ("  - {kind: taxii}\n", "connectors.0.taxii.url"),
        ("  - {kind: isp-csv, path: a.csv, delimiter: ';;'}\n", "connectors.0.isp-csv.delimiter"),
        (
            "  - {kind: isp-csv, path: a.csv, columns: {src: ip}}\n",
            "connectors.0.isp-csv.columns.src",
        ),
        ("  - {kind: av-hashes, path: a.jsonl, interval: PT0S}\n", "at least one second"),
        (
            "  - {kind: misp, path: a.json}\n  - {kind: misp, path: b.json}\n",
            "two connectors are named 'misp'",
        ),
        (
            "  - {kind: misp, path: a.json, credentials: {password_env: P}}\n",
            "password_env needs a username",
        ),
    ],
)
def test_a_bad_connector_entry_names_the_field_and_why(
    tmp_path: Path, connectors: str, problem: str
) -> None:
    with pytest.raises(AgreementError) as error:
        load_agreement(_agreement(tmp_path, connectors))
    assert problem in str(error.value)


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = ConnectorCredentials(username="hub", password_env="ISP_A_PASSWORD")
    with pytest.raises(KeyError, match="'ISP_A_PASSWORD' is not set"):
        credentials.secret(credentials.password_env)
    monkeypatch.setenv("ISP_A_PASSWORD", "s3cret")
    assert credentials.secret(credentials.password_env) == "s3cret"
