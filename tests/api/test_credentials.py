"""Credentials: argon2 hashes from agreements and hub config, checked once then remembered."""

from __future__ import annotations

import base64
from collections.abc import Mapping

import pytest

from hub.auth import AuthenticationError, Authenticator, Principal, hash_secret
from protocols.tlp import Tlp
from schemas.agreement import Credential, PartnerAgreement
from schemas.hub_config import AnalystAccount, HubConfig


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def partner(credentials: list[Credential]) -> PartnerAgreement:
    return PartnerAgreement(id="isp-one", name="ISP One", sector="isp", credentials=credentials)


CONFIG = HubConfig(
    analysts=[
        AnalystAccount(
            name="ana",
            clearance="red",
            credentials=[Credential(kind="basic", username="ana", hash=hash_secret("pw"))],
        )
    ]
)


async def test_partners_and_analysts_become_principals() -> None:
    agreements = {"isp-one": partner([Credential(kind="token", hash=hash_secret("tok"))])}
    authenticator = Authenticator(lambda: agreements, CONFIG)
    assert await authenticator.authenticate("Bearer tok") == Principal(
        "partner", "isp-one", account="isp-one"
    )
    analyst = await authenticator.authenticate(basic("ana", "pw"))
    assert analyst.label == "analyst:ana" and analyst.clearance is Tlp.RED


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (None, "no credentials"),
        ("Basic !!!", "base64"),
        (basic("ana", "wrong"), "username or password"),
        (basic("nobody", "pw"), "username or password"),
        ("Bearer wrong", "bearer token"),
        ("Negotiate abc", "not supported"),
    ],
)
async def test_refusals_say_why(header: str | None, says: str) -> None:
    authenticator = Authenticator(lambda: {}, CONFIG)
    with pytest.raises(AuthenticationError, match=says):
        await authenticator.authenticate(header)


async def test_a_changed_agreement_forgets_remembered_logins() -> None:
    agreements: dict[str, Mapping[str, PartnerAgreement]] = {
        "now": {"isp-one": partner([Credential(kind="basic", hash=hash_secret("old"))])}
    }
    authenticator = Authenticator(lambda: agreements["now"], HubConfig())
    assert (await authenticator.authenticate(basic("isp-one", "old"))).name == "isp-one"
    agreements["now"] = {"isp-one": partner([Credential(kind="basic", hash=hash_secret("new"))])}
    with pytest.raises(AuthenticationError):
        await authenticator.authenticate(basic("isp-one", "old"))
    assert (await authenticator.authenticate(basic("isp-one", "new"))).name == "isp-one"
