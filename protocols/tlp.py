"""Traffic Light Protocol markings: TLP 2.0 (FIRST) and the STIX 2.1 TLP 1.0 ids.

Both generations of marking ids are accepted; WHITE is CLEAR. Levels are ordered so that
"the stricter rule wins" is a ``max``.
"""

from __future__ import annotations

from enum import IntEnum


class Tlp(IntEnum):
    """TLP levels, least to most restrictive."""

    CLEAR = 0
    GREEN = 1
    AMBER = 2
    AMBER_STRICT = 3
    RED = 4

    @property
    def label(self) -> str:
        return "TLP:" + self.name.replace("_", "+")

    @property
    def marking_id(self) -> str:
        """The TLP 2.0 marking-definition id the hub publishes with."""
        return TLP2_IDS[self]


TLP2_IDS = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# STIX 2.1 §7.2.1.4 predefined TLP 1.0 markings.
TLP1_IDS = {
    Tlp.CLEAR: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    Tlp.GREEN: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    Tlp.AMBER: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    Tlp.RED: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
LEVEL_BY_ID: dict[str, Tlp] = {
    **{marking: level for level, marking in TLP2_IDS.items()},
    **{marking: level for level, marking in TLP1_IDS.items()},
}
_LEVEL_BY_NAME = {
    "clear": Tlp.CLEAR,
    "white": Tlp.CLEAR,
    "green": Tlp.GREEN,
    "amber": Tlp.AMBER,
    "amber+strict": Tlp.AMBER_STRICT,
    "amber_strict": Tlp.AMBER_STRICT,
    "red": Tlp.RED,
}


def level_named(name: str) -> Tlp:
    """``TLP:AMBER+STRICT``, ``amber+strict``, ``white`` -> the level."""
    key = name.strip().lower().removeprefix("tlp:")
    try:
        return _LEVEL_BY_NAME[key]
    except KeyError:
        raise ValueError(
            f"{name!r} is not a TLP level; use one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED"
        ) from None


def tlp_of(marking_refs: list[str]) -> Tlp | None:
    """The strictest TLP level among marking refs, or None if none of them is a TLP marking."""
    levels = [LEVEL_BY_ID[ref] for ref in marking_refs if ref in LEVEL_BY_ID]
    return max(levels) if levels else None
