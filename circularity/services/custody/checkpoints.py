"""Signed checkpoints of the event chain, checks against them, and proofs of one event.

A bare hash chain cannot show that its tail was cut off or that it was rewritten whole from an
edited event onwards: both leave a valid chain. A checkpoint signed with the park's Ed25519
key, kept outside the database (a file, a mail to the auditors, the PDF report, the EPCIS
export), pins the first n events through their RFC 6962 tree head and the last one's hash;
``check`` compares the log with one, and ``prove`` shows one event under it. The formats are
in ``proofs``; the key is the ``CHECKPOINT_KEY_FILE`` setting's, made on first use.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from flask import current_app
from flask_babel import gettext as _
from sqlmodel import Session, select

from circularity.config import setting
from circularity.db import write_transaction
from circularity.models import ChainHead, Checkpoint, Event
from circularity.services.custody import chain, merkle, proofs, signed_note
from circularity.services.errors import Conflict, InvalidInput, NotFound
from circularity.times import utcnow

KEY_FILE_NAME = "checkpoint-key.pem"


def origin() -> str:
    """The log's name in its checkpoints and its key: the site's address without its scheme,
    as C2SP recommends, so two parks' logs never share one."""
    parts = urlsplit(setting("BASE_URL"))
    return f"{parts.netloc}{parts.path.rstrip('/')}/events"


def key_path() -> Path:
    configured = setting("CHECKPOINT_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / KEY_FILE_NAME


def signing_key() -> Ed25519PrivateKey:
    """The key that signs checkpoints: the configured file, or one made on first use in the
    instance folder (readable by its owner only; made once even if two processes race)."""
    path = key_path()
    if not path.exists() and not setting("CHECKPOINT_KEY_FILE"):
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise InvalidInput(
            "The checkpoint key %(path)s cannot be read as an unencrypted PEM key.",
            "CHECKPOINT_KEY_FILE",
            path=str(path),
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(
            "The checkpoint key %(path)s is not an Ed25519 key.",
            "CHECKPOINT_KEY_FILE",
            path=str(path),
        )
    return key


def verifier() -> signed_note.Verifier:
    """The public half of the signing key, under the log's name."""
    return signed_note.Verifier(origin(), signing_key().public_key())


def _leaves(session: Session, size: int) -> list[tuple[int, str]]:
    """(seq, chain hash) of the first ``size`` events, in order."""
    return list(
        session.exec(select(Event.seq, Event.hash).where(Event.seq <= size).order_by(Event.seq))
    )


def create(session: Session) -> Checkpoint:
    """Sign the chain as it is now and record the checkpoint.

    Only an intact log is signed: a checkpoint vouches for what it pins. Raises Conflict
    naming the problem when ``chain.verify`` finds one.
    """
    result = chain.verify(session)
    if not result.ok:
        raise Conflict(
            "The chain is broken, so it is not signed: %(problem)s", "chain", problem=result.problem
        )
    key = signing_key()
    with write_transaction(session):
        head = chain.lock_head(session)  # no event is appended while the tree is read
        size, head_hash = head
        rows = _leaves(session, size)
        signed = proofs.Checkpoint(
            origin=origin(),
            size=size,
            root=merkle.root([proofs.leaf(h) for _, h in rows]),
            head=head_hash,
            time=utcnow().replace(microsecond=0),
        )
        note = signed_note.sign(signed.body(), signed.origin, key)
        row = Checkpoint(
            tree_size=size,
            root_hash=signed.root.hex(),
            head_hash=head_hash,
            key_id=signed_note.key_id(signed.origin, key.public_key()).hex(),
            signed_at=signed.time,
            note=note,
        )
        session.add(row)
    return row


def latest_checkpoint(session: Session) -> Checkpoint | None:
    """The checkpoint signed last, or None; its ``note`` is what the exports carry (the PDF
    report, and the EPCIS export as the document's ``circ:checkpoint``)."""
    return session.exec(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1)).first()


@dataclass
class CheckResult:
    ok: bool
    checkpoint: proofs.Checkpoint | None
    problem: str | None = None


def check(session: Session, note: str, trusted: signed_note.Verifier | None = None) -> CheckResult:
    """Compare the log with a signed checkpoint: the events it signed must all be there,
    unchanged, so a cut-off tail and a chain rewritten from an edited event onwards show.

    ``trusted`` is the key to check the signature with, the park's own unless given (an
    auditor gives the published one)."""
    try:
        signed = proofs.open_checkpoint(note, trusted or verifier())
    except proofs.ProofError as error:
        return CheckResult(False, None, str(error))
    if signed.origin != origin():
        return CheckResult(
            False, signed, _("the checkpoint is of another log, %(o)s", o=signed.origin)
        )
    head = session.get(ChainHead, 1, populate_existing=True)
    rows = _leaves(session, signed.size)
    stored = rows[-1][0] if rows else 0
    if len(rows) < signed.size:
        return CheckResult(
            False,
            signed,
            _(
                "the log holds %(stored)s of the %(size)s events the checkpoint of %(time)s "
                "signed: events after %(stored)s were cut off (the chain head is at %(head)s)",
                stored=len(rows),
                size=signed.size,
                time=signed.time.isoformat(),
                head=head.seq if head else 0,
            ),
        )
    root = merkle.root([proofs.leaf(h) for _, h in rows])
    if root != signed.root or (rows and rows[-1][1] != signed.head) or stored != signed.size:
        return CheckResult(
            False,
            signed,
            _(
                "the first %(size)s events are not the ones the checkpoint of %(time)s signed: "
                "the chain was rewritten",
                size=signed.size,
                time=signed.time.isoformat(),
            ),
        )
    return CheckResult(True, signed)


def prove(session: Session, seq: int, note: str | None = None) -> dict:
    """The inclusion proof of event ``seq`` against a checkpoint (the latest recorded one
    unless ``note`` is given), as the proof file ``proofs.check_proof`` checks."""
    if note is None:
        latest = latest_checkpoint(session)
        if latest is None:
            raise NotFound(
                "No checkpoint was signed yet: run circularity checkpoint.", "checkpoint"
            )
        note = latest.note
    try:
        signed = proofs.open_checkpoint(note, verifier())
    except proofs.ProofError as error:
        raise InvalidInput("%(why)s", "checkpoint", why=str(error)) from error
    if not 1 <= seq <= signed.size:
        raise InvalidInput(
            "The checkpoint signed events 1 to %(size)s; event %(seq)s is not among them.",
            "seq",
            size=signed.size,
            seq=seq,
        )
    rows = _leaves(session, signed.size)
    leaves = [proofs.leaf(h) for _, h in rows]
    if len(rows) != signed.size or merkle.root(leaves) != signed.root:
        raise Conflict(
            "The log no longer matches the checkpoint; run circularity verify --checkpoint.",
            "checkpoint",
        )
    event = session.exec(select(Event).where(Event.seq == seq)).one()
    return proofs.proof_document(note, signed, event, merkle.inclusion_proof(leaves, seq - 1))


@dataclass
class ChainStatus:
    """What the chain page shows: the check of the log, the latest checkpoint and the key
    to check it with (None until a checkpoint was signed, so that reading makes no key)."""

    result: chain.VerifyResult
    latest: Checkpoint | None
    public_key: str | None


def status(session: Session) -> ChainStatus:
    result = chain.verify(session)
    latest = latest_checkpoint(session)
    return ChainStatus(result, latest, verifier().vkey() if latest is not None else None)
