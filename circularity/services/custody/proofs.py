"""Checkpoints and inclusion proofs as files: their formats and their checks, pure.

A checkpoint is a C2SP checkpoint (https://c2sp.org/tlog-checkpoint) in a signed note: the
log's origin, the number of events, the base64 RFC 6962 tree head over the events' chain
hashes, then two extension lines of circularity's own, the hash of the last event and the
time it was signed:

    circularity.example.org/events
    1207
    xJ3lHd1J0uuyFS1kq1L9tOCIUJ3i3zC5r5Jg4vZ4l0M=
    head 9f0c...e1
    time 2026-12-04T08:30:00Z

A leaf is the 32 bytes of one event's chain hash, so an event's proof carries its content and
predecessor's hash, from which the checker recomputes that hash. Everything here works on
files alone, with the log's public key: ``check_proof`` is what an auditor runs.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _

from circularity.services.custody import merkle, signed_note
from circularity.services.custody.chain import event_hash

PROOF_FORMAT = "circularity-inclusion-proof/1"


class ProofError(ValueError):
    """A checkpoint or proof that is malformed or does not hold."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    head: str
    time: datetime

    def body(self) -> str:
        return (
            f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"
            f"head {self.head}\ntime {self.time.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}\n"
        )


def leaf(chain_hash: str) -> bytes:
    """The tree's leaf hash of an event, from its hex chain hash."""
    return merkle.leaf_hash(bytes.fromhex(chain_hash))


def parse_body(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) != 6 or lines[-1] != "":
        raise ProofError(_("a checkpoint has five lines: origin, size, root, head, time"))
    origin, size, root, head, time = lines[:5]
    try:
        if size != str(int(size)) or int(size) < 0:
            raise ValueError(size)
        decoded = base64.b64decode(root, validate=True)
        if len(decoded) != merkle.HASH_SIZE:
            raise ValueError(root)
        if not head.startswith("head ") or len(bytes.fromhex(head[5:])) != 32:
            raise ValueError(head)
        if not time.startswith("time "):
            raise ValueError(time)
        moment = datetime.strptime(time[5:], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (ValueError, binascii.Error) as error:
        raise ProofError(_("the checkpoint's line %(line)s is malformed", line=error)) from error
    return Checkpoint(origin, int(size), decoded, head[5:], moment)


def open_checkpoint(note: str, verifier: signed_note.Verifier) -> Checkpoint:
    """The checkpoint of a signed note whose signature checks with ``verifier``."""
    try:
        return parse_body(signed_note.open_note(note, verifier))
    except signed_note.NoteError as error:
        raise ProofError(_("the checkpoint does not hold: %(why)s", why=error)) from error


def proof_document(note: str, checkpoint: Checkpoint, event, path: list[bytes]) -> dict:
    """The proof file of one event (an ``Event`` row or anything with its four fields)."""
    return {
        "format": PROOF_FORMAT,
        "checkpoint": note,
        "treeSize": checkpoint.size,
        "leafIndex": event.seq - 1,
        "event": {
            "seq": event.seq,
            "prevHash": event.prev_hash,
            "hash": event.hash,
            "payload": event.payload,
        },
        "inclusionPath": [base64.b64encode(h).decode() for h in path],
    }


@dataclass(frozen=True)
class Proven:
    """What a proof that holds shows: this event is in the log the checkpoint signed."""

    checkpoint: Checkpoint
    seq: int
    payload: dict


def check_proof(document: dict, verifier: signed_note.Verifier, note: str | None = None) -> Proven:
    """Check an inclusion proof with the log's public key and nothing else.

    ``note`` is the checkpoint the auditor holds (published, or handed over before); without
    it, the one inside the proof. Size and root come from the signed checkpoint only, never
    from the proof. Raises ProofError naming what does not hold.
    """
    if not isinstance(document, dict) or document.get("format") != PROOF_FORMAT:
        raise ProofError(_("not a proof file of the format %(format)s", format=PROOF_FORMAT))
    try:
        checkpoint = open_checkpoint(note or document["checkpoint"], verifier)
        event = document["event"]
        seq, index, size = event["seq"], document["leafIndex"], document["treeSize"]
        payload_text, prev_hash, chain_hash = event["payload"], event["prevHash"], event["hash"]
        path = [base64.b64decode(h, validate=True) for h in document["inclusionPath"]]
        payload = json.loads(payload_text)
        leaf_hash = leaf(chain_hash)
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        if isinstance(error, ProofError):
            raise
        raise ProofError(
            _("the proof file is incomplete or malformed (%(why)s)", why=error)
        ) from error
    if size != checkpoint.size:
        raise ProofError(
            _(
                "the proof is for a log of %(size)s events, the checkpoint signed %(signed)s",
                size=size,
                signed=checkpoint.size,
            )
        )
    if not isinstance(seq, int) or index != seq - 1 or payload.get("circ:seq") != seq:
        raise ProofError(
            _("the proof's position %(index)s is not that of event %(seq)s", index=index, seq=seq)
        )
    if event_hash(prev_hash, payload_text) != chain_hash:
        raise ProofError(_("event %(seq)s's content does not match its hash", seq=seq))
    if not merkle.verify_inclusion(leaf_hash, index, checkpoint.size, path, checkpoint.root):
        raise ProofError(
            _(
                "event %(seq)s is not in the log the checkpoint signed: its path does not "
                "lead to the signed root",
                seq=seq,
            )
        )
    return Proven(checkpoint, seq, payload)
