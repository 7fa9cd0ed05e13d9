"""Facts taken from the STIX 2.1 specification (OASIS Standard, 10 June 2021).

Spec: https://docs.oasis-open.org/cti/stix/v2.1/os/stix-v2.1-os.html
Section numbers below are those of that document; they appear in every
violation's ``detail`` so a reader can look the rule up.
"""

from __future__ import annotations

from typing import Final

SPEC_VERSION: Final = "2.1"

# Where each rule lives in the spec; quoted in violation details.
S_BOOLEAN: Final = "§2.2"
S_DICTIONARY: Final = "§2.3"
S_EXTERNAL_REFERENCE: Final = "§2.5"
S_FLOAT: Final = "§2.6"
S_HASHES: Final = "§2.7"
S_HEX: Final = "§2.8"
S_IDENTIFIER: Final = "§2.9"
S_INTEGER: Final = "§2.10"
S_KILL_CHAIN_PHASE: Final = "§2.11"
S_LIST: Final = "§2.12"
S_STRING: Final = "§2.14"
S_TIMESTAMP: Final = "§2.15"
S_PROPERTY_NAMES: Final = "§3.1"
S_COMMON: Final = "§3.2"
S_IDENTITY: Final = "§4.5"
S_INDICATOR: Final = "§4.7"
S_OBSERVED_DATA: Final = "§4.14"
S_RELATIONSHIP: Final = "§5.1"
S_SIGHTING: Final = "§5.2"
S_DOMAIN_NAME: Final = "§6.4"
S_EMAIL_ADDR: Final = "§6.5"
S_FILE: Final = "§6.7"
S_IPV4: Final = "§6.8"
S_IPV6: Final = "§6.9"
S_URL: Final = "§6.15"
S_MARKING_DEFINITION: Final = "§7.2.1"
S_TLP: Final = "§7.2.1 (TLP marking)"
S_GRANULAR_MARKING: Final = "§7.2.3"
S_EXTENSIONS: Final = "§7.3"
S_BUNDLE: Final = "§8"
S_PATTERNING: Final = "§9"
S_CUSTOM_PROPERTIES: Final = "§11.1"
S_CUSTOM_OBJECTS: Final = "§11.2"

# §4: STIX Domain Objects.
SDO_TYPES: Final = frozenset(
    {
        "attack-pattern",
        "campaign",
        "course-of-action",
        "grouping",
        "identity",
        "incident",
        "indicator",
        "infrastructure",
        "intrusion-set",
        "location",
        "malware",
        "malware-analysis",
        "note",
        "observed-data",
        "opinion",
        "report",
        "threat-actor",
        "tool",
        "vulnerability",
    }
)
# §5: STIX Relationship Objects.
SRO_TYPES: Final = frozenset({"relationship", "sighting"})
# §6: STIX Cyber-observable Objects.
SCO_TYPES: Final = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
# §7: STIX Meta Objects.
META_TYPES: Final = frozenset({"language-content", "marking-definition", "extension-definition"})
KNOWN_TYPES: Final = SDO_TYPES | SRO_TYPES | SCO_TYPES | META_TYPES

#: The section defining each object type: §4 and §6 list their types alphabetically.
TYPE_SECTIONS: Final[dict[str, str]] = {
    **{name: f"§4.{number}" for number, name in enumerate(sorted(SDO_TYPES), start=1)},
    "relationship": "§5.1",
    "sighting": "§5.2",
    **{name: f"§6.{number}" for number, name in enumerate(sorted(SCO_TYPES), start=1)},
    "language-content": "§7.1",
    "marking-definition": "§7.2.1",
    "extension-definition": "§7.3",
}

# Properties the spec requires, beyond the common ones (§3.2, §6.1), by object type.
REQUIRED_PROPERTIES: Final[dict[str, tuple[str, ...]]] = {
    "attack-pattern": ("name",),
    "campaign": ("name",),
    "course-of-action": ("name",),
    "grouping": ("context", "object_refs"),
    "identity": ("name",),
    "incident": ("name",),
    "indicator": ("pattern", "pattern_type", "valid_from"),
    "infrastructure": ("name",),
    "intrusion-set": ("name",),
    "location": (),
    "malware": ("is_family",),
    "malware-analysis": ("product",),
    "note": ("content", "object_refs"),
    "observed-data": ("first_observed", "last_observed", "number_observed"),
    "opinion": ("opinion", "object_refs"),
    "report": ("name", "published", "object_refs"),
    "threat-actor": ("name",),
    "tool": ("name",),
    "vulnerability": ("name",),
    "relationship": ("relationship_type", "source_ref", "target_ref"),
    "sighting": ("sighting_of_ref",),
    "language-content": ("object_ref", "contents"),
    "extension-definition": ("created_by_ref", "name", "schema", "version", "extension_types"),
    "marking-definition": (),
    "autonomous-system": ("number",),
    "directory": ("path",),
    "domain-name": ("value",),
    "email-addr": ("value",),
    "email-message": ("is_multipart",),
    "ipv4-addr": ("value",),
    "ipv6-addr": ("value",),
    "mac-addr": ("value",),
    "mutex": ("name",),
    "network-traffic": ("protocols",),
    "software": ("name",),
    "url": ("value",),
}

# §3.2 / §7.2.1: the common properties every object of a kind must carry.
SDO_SRO_COMMON_REQUIRED: Final = ("type", "spec_version", "id", "created", "modified")
MARKING_COMMON_REQUIRED: Final = ("type", "spec_version", "id", "created")
SCO_COMMON_REQUIRED: Final = ("type", "id")

# §7.2.1.4: the only TLP 1.0 marking definitions that may exist.
TLP1_CREATED: Final = "2017-01-20T00:00:00.000Z"
TLP1_MARKINGS: Final[dict[str, str]] = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}

# TLP 2.0, published by the OASIS CTI TC as a STIX 2.1 extension definition
# (cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
TLP2_EXTENSION_ID: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED: Final = "2022-10-01T00:00:00.000Z"
TLP2_MARKINGS: Final[dict[str, str]] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# §2.7 with the hash-algorithm-ov vocabulary (§10): hex digits per algorithm.
# Keys are normalised names (upper case, no '-' or '_'), so 'SHA-256',
# 'sha256' and 'SHA_256' are all checked as SHA-256.
HASH_HEX_LENGTHS: Final[dict[str, tuple[str, int]]] = {
    "MD5": ("MD5", 32),
    "SHA1": ("SHA-1", 40),
    "SHA224": ("SHA-224", 56),
    "SHA256": ("SHA-256", 64),
    "SHA384": ("SHA-384", 96),
    "SHA512": ("SHA-512", 128),
    "SHA3224": ("SHA3-224", 56),
    "SHA3256": ("SHA3-256", 64),
    "SHA3384": ("SHA3-384", 96),
    "SHA3512": ("SHA3-512", 128),
}

# §7.3: the values extension_type may take.
EXTENSION_TYPES: Final = frozenset(
    {"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}
)

# §5.1: objects a relationship may not point at (it links SDOs and SCOs only).
NOT_RELATABLE_TYPES: Final = SRO_TYPES | META_TYPES | frozenset({"bundle"})
