"""``fusionhub tail``'s lines: an indicator on a crime code's topic it has left says so, and
a crime code's filter shows what that code's topic got."""

from __future__ import annotations

import orjson

from hub.cli.common import console
from hub.cli.tail import _line, _matches, _show
from hub.kafka_io import TopicMessage
from hub.topics import Topics

C2_CODE = "malicious-code/c2-server"

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


def test_a_crime_code_filter_on_the_analysts_topics_goes_by_the_topic() -> None:
    names = Topics("t1a2b.")
    on_phishing, on_c2 = names.analysts("fraud/phishing"), names.analysts(C2_CODE)

    def shown(topic: str, crime_code: str) -> bool:
        return _matches(
            topic, C2_VERSION, names, crime_code=crime_code, min_confidence=0, observable=None
        )

    # The copy on the topic of the code it has left is filed under that code...
    assert shown(on_phishing, "fraud") and shown(on_phishing, "fraud/phishing")
    assert not shown(on_phishing, "malicious-code")
    # ...and the one on its own code's topic under the code alone.
    assert shown(on_c2, "malicious-code/c2") and not shown(on_c2, "fraud")
    # An audience's topic has one copy: its current code decides.
    partner = names.partner("kappa-isp")
    assert shown(partner, C2_CODE) and not shown(partner, "fraud")


def test_json_output_is_filtered_as_the_lines_are() -> None:
    names = Topics()
    message = TopicMessage(names.partner("kappa-isp"), 0, 0, None, orjson.dumps(C2_VERSION), 0)
    with console.capture() as captured:
        assert not _show(message, True, lambda topic, stix: False, names)
        assert _show(message, True, lambda topic, stix: True, names)
    assert captured.get().count('"pattern"') == 1
