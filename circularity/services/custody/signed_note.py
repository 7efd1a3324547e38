"""Signed notes (C2SP signed-note v1) with Ed25519: the envelope of a checkpoint.

A signed note is text ending in a newline, a blank line, then signature lines
"— <key name> <base64(key ID || signature)>". The key ID is the first four bytes of
SHA-256(key name || 0x0A || 0x01 || public key); a verifier key ("vkey") is
"<key name>+<hex key ID>+<base64(0x01 || public key)>". The format is the one transparency
logs publish their checkpoints in (https://c2sp.org/signed-note), so an auditor can check a
circularity checkpoint with their own tools. Pure: no database, no Flask.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
DASH = "\u2014 "
MAX_SIGNATURES = 16


class NoteError(ValueError):
    """The note is malformed, or no signature of the trusted key verifies."""


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"a key name must be non-empty, without spaces or '+': {name!r}")


def key_id(name: str, key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + _public_bytes(key)).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A trusted public key and the name it signs under."""

    name: str
    key: Ed25519PublicKey

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.key)

    def vkey(self) -> str:
        material = base64.b64encode(ED25519 + _public_bytes(self.key)).decode()
        return f"{self.name}+{self.id.hex()}+{material}"


def parse_vkey(text: str) -> Verifier:
    """The verifier of a vkey string; NoteError when it is not one of an Ed25519 key."""
    parts = text.strip().split("+", 2)  # the base64 key may hold a "+" itself
    if len(parts) != 3:
        raise NoteError("a verifier key has three parts: name+keyid+key")
    name, hex_id, material = parts
    _check_name(name)
    try:
        raw = base64.b64decode(material, validate=True)
        expected_id = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as error:
        raise NoteError("the verifier key is not valid hex and base64") from error
    if len(raw) != 33 or raw[:1] != ED25519:
        raise NoteError("the verifier key is not an Ed25519 key")
    verifier = Verifier(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
    if verifier.id != expected_id:
        raise NoteError("the verifier key's ID does not match its name and key")
    return verifier


def sign(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """``text`` (ending in a newline) as a note signed by ``key`` under ``name``."""
    _check_name(name)
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("the note text must end in a newline and have no empty line")
    signature = key.sign(text.encode())
    blob = base64.b64encode(key_id(name, key.public_key()) + signature).decode()
    return f"{text}\n{DASH}{name} {blob}\n"


def open_note(note: str, verifier: Verifier) -> str:
    """The text of ``note`` once a signature by ``verifier`` checks; NoteError otherwise.

    Signatures of other keys are ignored, as the specification requires; one of the
    trusted key that fails rejects the note."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a note may not contain control characters")
    if not note.endswith("\n"):
        raise NoteError("a note ends in a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("a note has a blank line between its text and its signatures")
    text, lines = note[: split + 1], note[split + 2 :].splitlines()
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError("a note has between 1 and 16 signature lines")
    verified = False
    for line in lines:
        if not line.startswith(DASH):
            raise NoteError("a signature line starts with an em dash and a space")
        name, _, blob = line[len(DASH) :].rpartition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error as error:
            raise NoteError("a signature is not valid base64") from error
        if name != verifier.name or raw[:4] != verifier.id:
            continue
        try:
            verifier.key.verify(raw[4:], text.encode())
        except InvalidSignature as error:
            raise NoteError(f"the signature of {name} does not verify") from error
        verified = True
    if not verified:
        raise NoteError(f"the note carries no signature of {verifier.name}")
    return text
