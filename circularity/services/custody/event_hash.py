"""The EPCIS Event Hash ID of CBV 2.0: a fingerprint of an event's content, not of its bytes.

GS1's Core Business Vocabulary 2.0 ("EPCIS Event Hash ID") names an EPCIS event by the SHA-256
digest of a canonical "pre-hash string", written ``ni:///sha-256;<hex>?ver=CBV2.0`` (RFC 6920). Two
serialisations of one event (keys in another order, another time zone, ``1.0`` for ``1``) give
one hash; any change of content gives another. The canonical form, as the algorithm's
description in the epcis-event-hash-generator project states it and its test vectors pin it:

- fields in the canonical property order: ``eventType``, ``eventTime`` (UTC, milliseconds, ``Z``),
  ``eventTimeZoneOffset``, the EPC and quantity lists, ``action``, ``transformationID``,
  ``bizStep``, ``disposition``, ``readPoint``, ``bizLocation`` and the ILMD's fields, sorted;
- then every other field, each as one substring, sorted: source, destination and business
  transaction lists (each element ``type=…`` before its identifier), and user extensions with
  their namespace in braces, ``{https://…/}name=value``, nested ones inside their parent;
- ``key=value`` pairs concatenated without separators; list entries sorted; values stripped,
  numbers without trailing zeros, bare CBV words expanded to their ``https://ref.gs1.org/cbv/``
  URIs; ``eventID``, ``recordTime`` and ``errorDeclaration`` left out, so that an error
  declaration hashes like the event it declares wrong.

GS1 keys are compared as constrained canonical GS1 Digital Link URIs: EPC URNs of the common
schemes (SGTIN, LGTIN, SSCC, SGLN, PGLN, GIAI, GDTI; GS1 Tag Data Standard 2.0, section 7)
become ``https://id.gs1.org/…`` with their check digit, and a Digital Link on another domain
moves to ``id.gs1.org`` without its query string. Only what an EPCIS document of this project
can hold, and these identifiers, are handled: an event with sensor data, certification info,
persistent dispositions or another EPC scheme raises ``UnsupportedEvent`` rather than
getting a hash that might be wrong.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

CBV = "https://ref.gs1.org/cbv/"
VERSION = "CBV2.0"
#: Bare CBV words and the vocabulary each field's words come from.
VOCABULARY = {"bizStep": "BizStep-", "disposition": "Disp-"}
LIST_TYPES = {"sourceList": "SDT-", "destinationList": "SDT-", "bizTransactionList": "BTT-"}
LIST_ITEM = {
    "sourceList": "source",
    "destinationList": "destination",
    "bizTransactionList": "bizTransaction",
}
EPC_LISTS = ("parentID", "epcList", "inputEPCList", "childEPCs")
QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList")
ORDERED = frozenset(
    {
        "eventTime",
        "eventTimeZoneOffset",
        "outputEPCList",
        "outputQuantityList",
        "action",
        "transformationID",
        "bizStep",
        "disposition",
        "readPoint",
        "bizLocation",
        "ilmd",
    }
)
LEFT_OUT = frozenset(
    {"type", "eventID", "recordTime", "errorDeclaration", "@context", "comment", "rdfs:comment"}
)
UNSUPPORTED = frozenset({"sensorElementList", "certificationInfo", "persistentDisposition"})
#: Old CBV URNs and the Web URIs that replace them in CBV 2.0.
URN_TO_WEB = (
    ("urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"),
    ("urn:epcglobal:cbv:disp:", CBV + "Disp-"),
    ("urn:epcglobal:cbv:btt:", CBV + "BTT-"),
    ("urn:epcglobal:cbv:sdt:", CBV + "SDT-"),
    ("urn:epcglobal:cbv:er:", CBV + "ER-"),
)


class UnsupportedEvent(ValueError):
    """The event holds a field this canonicalisation does not cover."""


def event_hash(event: Mapping[str, Any], namespaces: Mapping[str, str]) -> str:
    """The ``ni:///sha-256;…?ver=CBV2.0`` hash of one EPCIS 2.0 JSON-LD event.

    ``namespaces`` maps the extension prefixes of the document's ``@context`` to their IRIs
    (``{"circ": "https://…/"}``), so ``circ:operation`` hashes as ``{https://…/}operation``.
    """
    digest = hashlib.sha256(pre_hash(event, namespaces).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver={VERSION}"


def pre_hash(event: Mapping[str, Any], namespaces: Mapping[str, str]) -> str:
    """The canonical pre-hash string of ``event`` (what ``event_hash`` digests)."""
    names = _Names(namespaces)
    unsupported = UNSUPPORTED & event.keys()
    if unsupported:
        raise UnsupportedEvent(f"the event hash does not cover {', '.join(sorted(unsupported))}")
    parts = [f"eventType={event['type']}", f"eventTime={_utc(event['eventTime'])}"]
    if "eventTimeZoneOffset" in event:
        parts.append(f"eventTimeZoneOffset={_value(event['eventTimeZoneOffset'], names)}")
    for key in EPC_LISTS:
        parts.append(_epcs(key, event.get(key), names))
    for key in QUANTITY_LISTS:
        parts.append(_quantities(key, event.get(key), names))
    parts.append(_epcs("outputEPCList", event.get("outputEPCList"), names))
    parts.append(_quantities("outputQuantityList", event.get("outputQuantityList"), names))
    if event.get("action"):
        parts.append(f"action={_value(event['action'], names)}")
    if event.get("transformationID"):
        parts.append(f"transformationID={_checked_uri(event['transformationID'], names)}")
    for key in ("bizStep", "disposition"):
        if event.get(key):
            parts.append(f"{key}={_word(key, event[key], names)}")
    for key in ("readPoint", "bizLocation"):
        if isinstance(event.get(key), Mapping):
            parts.append(_place(key, event[key], names))
    if isinstance(event.get("ilmd"), Mapping) and event["ilmd"]:
        fields = [t for k, v in event["ilmd"].items() for t in _extension(names.key(k), v, names)]
        parts.append("ilmd" + "".join(sorted(fields)))
    done = ORDERED | set(EPC_LISTS) | set(QUANTITY_LISTS)
    rest = []
    for key, value in event.items():
        if key in LEFT_OUT or key in done:
            continue
        if key in LIST_TYPES:
            rest.append(_typed_list(key, value, names))
        else:
            rest.extend(_extension(names.key(key), value, names))
    return "".join(parts) + "".join(sorted(rest))


class _Names:
    """Expands ``prefix:name`` keys and values with the document's extension prefixes."""

    def __init__(self, namespaces: Mapping[str, str]):
        self.namespaces = dict(namespaces)

    def _split(self, text: str) -> tuple[str, str] | None:
        prefix, colon, local = text.partition(":")
        if colon and prefix in self.namespaces:
            return self.namespaces[prefix], local
        return None

    def key(self, key: str) -> str:
        found = self._split(key)
        return "{" + found[0] + "}" + found[1] if found else key

    def value(self, text: str) -> str:
        found = self._split(text)
        return found[0] + found[1] if found else text


def _utc(text: str) -> str:
    """A timestamp in UTC with exactly three decimals, rounded half up, and ``Z``."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00")).astimezone(UTC)
    milliseconds = (moment.microsecond + 500) // 1000
    moment = moment.replace(microsecond=0) + timedelta(milliseconds=milliseconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _value(value: Any, names: _Names) -> str:
    """A scalar as the pre-hash string writes it: stripped, CBV URNs as Web URIs, numbers
    without trailing zeros (``1.0`` is ``1``), extension prefixes expanded."""
    text = names.value(str(value)).strip()
    for urn, web in URN_TO_WEB:
        text = text.replace(urn, web)
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return str(int(number)) if number.is_integer() else str(number)


def _word(key: str, value: Any, names: _Names) -> str:
    """A field whose bare CBV word stands for a Web URI (``shipping`` → …/BizStep-shipping)."""
    text = _value(value, names)
    prefix = VOCABULARY.get(key)
    if prefix and ":" not in text:
        return CBV + prefix + text
    return text


def _epcs(key: str, value: Any, names: _Names) -> str:
    if value in (None, [], ""):
        return ""
    items = value if isinstance(value, list) else [value]
    label = "epc" if key != "parentID" else None
    if label is None:
        return f"{key}={_checked_uri(items[0], names)}"
    return key + "".join(sorted(f"epc={_checked_uri(e, names)}" for e in items))


def _checked_uri(value: Any, names: _Names) -> str:
    text = _value(value, names)
    if text.startswith(("urn:epc:id:", "urn:epc:class:", "urn:epc:idpat:")):
        return _epc_to_digital_link(text)
    return _canonical_digital_link(text)


#: Primary keys of GS1 Digital Link (URI Syntax 1.2, section 4.11) as their AIs.
_DL_KEY = re.compile(r"/(00|01|253|255|401|402|414|417|8003|8004|8006|8010|8017|8018)/\d{4}")


def _canonical_digital_link(uri: str) -> str:
    """A GS1 Digital Link on any domain as ``https://id.gs1.org/…`` without a query string;
    any other URI unchanged."""
    if not uri.startswith(("http://", "https://")):
        return uri
    found = _DL_KEY.search(uri)
    if found is None or uri.startswith("https://id.gs1.org/") and "?" not in uri:
        return uri
    path = uri[found.start() :].split("?", 1)[0].split("#", 1)[0]
    return "https://id.gs1.org" + path


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of a key without it (weights 3, 1, … from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _epc_to_digital_link(urn: str) -> str:
    """An EPC pure-identity, class or pattern URN as the Digital Link of the same key."""
    scheme, _, body = urn.split(":", 4)[3], None, urn.split(":", 4)[4]
    kind = urn.split(":", 3)[2]
    parts = body.split(".")
    try:
        if scheme in ("sgtin", "lgtin") and len(parts) == 3:
            prefix, item, rest = parts
            gtin = item[0] + prefix + item[1:]
            key = f"/01/{gtin}{check_digit(gtin)}"
            if rest == "*" and kind == "idpat":
                return "https://id.gs1.org" + key
            qualifier = "21" if scheme == "sgtin" else "10"
            return f"https://id.gs1.org{key}/{qualifier}/{rest}"
        if scheme == "sscc" and len(parts) == 2:
            prefix, serial = parts
            raw = serial[0] + prefix + serial[1:]
            return f"https://id.gs1.org/00/{raw}{check_digit(raw)}"
        if scheme in ("sgln", "pgln"):
            prefix, reference = parts[0], parts[1]
            gln = prefix + reference
            ai = "414" if scheme == "sgln" else "417"
            link = f"https://id.gs1.org/{ai}/{gln}{check_digit(gln)}"
            if scheme == "sgln" and len(parts) == 3 and parts[2] != "0":
                link += f"/254/{parts[2]}"
            return link
        if scheme == "giai" and len(parts) == 2:
            return f"https://id.gs1.org/8004/{parts[0]}{parts[1]}"
        if scheme == "gdti" and len(parts) == 3:
            raw = parts[0] + parts[1]
            return f"https://id.gs1.org/253/{raw}{check_digit(raw)}{parts[2]}"
    except IndexError:
        pass
    raise UnsupportedEvent(f"the event hash does not convert {kind}:{scheme} URNs")


def _quantities(key: str, value: Any, names: _Names) -> str:
    if not value:
        return ""
    elements = []
    for item in value:
        text = "quantityElement" + f"epcClass={_checked_uri(item['epcClass'], names)}"
        if item.get("quantity") is not None:
            text += f"quantity={_value(item['quantity'], names)}"
        if item.get("uom") is not None:
            text += f"uom={_value(item['uom'], names)}"
        elements.append(text)
    return key + "".join(sorted(elements))


def _place(key: str, value: Mapping[str, Any], names: _Names) -> str:
    """``readPointid=…`` followed by the place's own extensions, sorted."""
    extensions = []
    for name, item in value.items():
        if name != "id":
            extensions.extend(_extension(names.key(name), item, names))
    return f"{key}id={_checked_uri(value['id'], names)}" + "".join(sorted(extensions))


def _typed_list(key: str, value: list, names: _Names) -> str:
    """A source, destination or business transaction list: the list's name once, then each
    element as ``type=<CBV URI>`` and its identifier, elements in order of their type."""
    item = LIST_ITEM[key]
    elements = sorted(value, key=lambda e: (str(e.get("type", "")), str(e.get(item, ""))))
    text = key
    for element in elements:
        kind = element.get("type")
        if kind is not None:
            word = _value(kind, names)
            text += "type=" + (word if ":" in word else CBV + LIST_TYPES[key] + word)
        text += f"{item}={_checked_uri(element[item], names)}"
    return text


def _extension(key: str, value: Any, names: _Names) -> list[str]:
    """The substrings of one user extension: ``key=value``, ``key`` followed by its sorted
    children for an object, one substring per element for a list."""
    if isinstance(value, list):
        return [text for element in value for text in _extension(key, element, names)]
    if isinstance(value, Mapping):
        children = [
            text
            for name, item in value.items()
            for text in _extension(names.key(name), item, names)
        ]
        return [key + "".join(sorted(children))]
    text = _value(value, names)
    return [f"{key}={text}" if text else key]
