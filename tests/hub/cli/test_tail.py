"""``fusionhub tail``'s lines: an indicator on a crime code's topic it has left says so."""

from __future__ import annotations

from hub.cli.tail import _line
from hub.topics import Topics

C2_VERSION: dict[str, object] = {
    "type": "indicator",
    "pattern": "[ipv4-addr:value = '45.137.21.77']",
    "confidence": 80,
    "modified": "2026-11-19T01:20:00.000Z",
    "x_fusion_crime_code": "malicious-code/c2-server",
    "x_fusion_contributors": [{"source_ref": "identity--a"}, {"source_ref": "identity--b"}],
}


def test_a_copy_on_a_former_code_s_topic_names_the_code_it_is_under_now() -> None:
    for names in (Topics(), Topics("t1a2b.")):
        line = _line(names.analysts("fraud/phishing"), C2_VERSION, names)
        assert line.endswith(" [yellow]now malicious-code/c2-server[/yellow]"), line
        assert "sources=2" in line


def test_an_indicator_on_its_own_code_s_topic_or_an_audience_s_says_nothing_more() -> None:
    names = Topics("t1a2b.")
    for topic in (
        "t1a2b.analysts.malicious-code.c2-server",
        "t1a2b.partner.kappa-isp",
        "t1a2b.liaison.nca",
        "t1a2b.partner.analysts.fraud",  # a partner named "analysts", not the analysts' topics
    ):
        assert "now" not in _line(topic, C2_VERSION, names), topic
