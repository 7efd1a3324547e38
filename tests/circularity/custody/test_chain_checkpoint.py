"""Signed checkpoints: what a bare hash chain cannot show (a cut-off tail, a chain rewritten
whole from an edited event onwards) a checkpoint does, and its signature is a C2SP note."""

import base64
import hashlib
import json
import os
import stat

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from circularity.cli import cli
from circularity.models import Checkpoint
from circularity.services.custody import chain, checkpoints, merkle, proofs, signed_note
from circularity.services.errors import Conflict, InvalidInput
from tests.circularity.custody.test_chain import drop_guards, five_events

# The example of the C2SP signed-note specification (https://c2sp.org/signed-note).
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjO"
    "BH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


@pytest.fixture
def park(app, tmp_path):
    """An app context whose checkpoint key is made in a fresh instance folder."""
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        yield app


def test_the_specifications_example_note_verifies():
    verifier = signed_note.parse_vkey(SPEC_VKEY)
    assert signed_note.open_note(SPEC_NOTE, verifier) == "This is an example message.\n"
    assert verifier.vkey() == SPEC_VKEY


def test_an_altered_note_is_refused():
    verifier = signed_note.parse_vkey(SPEC_VKEY)
    with pytest.raises(signed_note.NoteError, match="does not verify"):
        signed_note.open_note(SPEC_NOTE.replace("example message", "exemplary message"), verifier)


def test_a_note_signed_by_another_key_is_refused():
    other = Ed25519PrivateKey.generate()
    note = signed_note.sign("This is an example message.\n", "example.com/foo", other)
    with pytest.raises(signed_note.NoteError, match="no signature of example.com/foo"):
        signed_note.open_note(note, signed_note.parse_vkey(SPEC_VKEY))


@pytest.mark.parametrize("seed", range(40))
def test_the_key_id_is_the_hash_of_name_type_and_key(seed):
    """Forty fixed keys, so some have a "+" in their base64 (the vkey's separator too)."""
    key = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    by_hand = hashlib.sha256(b"park.test/events\n\x01" + raw).digest()[:4]
    assert signed_note.key_id("park.test/events", key.public_key()) == by_hand
    vkey = signed_note.Verifier("park.test/events", key.public_key()).vkey()
    material = base64.b64encode(b"\x01" + raw).decode()
    assert vkey == f"park.test/events+{by_hand.hex()}+{material}"
    assert signed_note.parse_vkey(vkey).key == key.public_key()


def test_a_checkpoint_signs_size_root_head_and_time(park, db_session):
    events = five_events(db_session)
    row = checkpoints.create(db_session)
    signed = proofs.open_checkpoint(row.note, checkpoints.verifier())
    leaves = [merkle.leaf_hash(bytes.fromhex(e.hash)) for e in events]
    assert (signed.origin, signed.size) == ("circularity.park.test/events", 5)
    assert signed.root == merkle.root(leaves) and signed.head == events[-1].hash
    lines = row.note.split("\n")
    assert lines[:5] == [
        "circularity.park.test/events",
        "5",
        base64.b64encode(signed.root).decode(),
        f"head {events[-1].hash}",
        f"time {signed.time:%Y-%m-%dT%H:%M:%SZ}",
    ]
    assert lines[6].startswith("\u2014 circularity.park.test/events ")
    assert checkpoints.latest_checkpoint(db_session).id == row.id
    assert (row.tree_size, row.root_hash) == (5, signed.root.hex())


def test_the_key_is_made_once_in_the_instance_folder(park):
    first = checkpoints.verifier().vkey()
    path = checkpoints.key_path()
    assert path.name == "checkpoint-key.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert checkpoints.verifier().vkey() == first


def test_a_configured_key_signs(park, tmp_path):
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "key.pem"
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    park.config["CHECKPOINT_KEY_FILE"] = str(path)
    assert checkpoints.verifier().key == key.public_key()
    path.write_text("not a key")
    with pytest.raises(InvalidInput, match="cannot be read"):
        checkpoints.signing_key()


def test_a_broken_chain_is_not_signed(park, db_session):
    five_events(db_session)
    drop_guards(db_session)
    db_session.execute(text("UPDATE event SET biz_step = 'x' WHERE seq = 2"))
    db_session.commit()
    with pytest.raises(Conflict, match="event 2 was altered"):
        checkpoints.create(db_session)


def test_checkpoints_are_append_only(park, db_session):
    five_events(db_session)
    checkpoints.create(db_session)
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.execute(text("UPDATE checkpoint SET tree_size = 1"))
    db_session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.execute(text("DELETE FROM checkpoint"))
    db_session.rollback()


def test_a_log_that_grew_still_matches(park, db_session):
    five_events(db_session)
    note = checkpoints.create(db_session).note
    five_events(db_session)
    assert checkpoints.check(db_session, note).ok


def cut_tail(session, keep: int) -> None:
    """Remove the events after ``keep`` and what they made, and move the head back: a
    consistent, shorter log that the hash chain alone accepts."""
    drop_guards(session)
    head = session.execute(text("SELECT hash FROM event WHERE seq = :s"), {"s": keep}).scalar()
    made = (
        "SELECT eb.batch_id FROM eventbatch eb JOIN event e ON e.id = eb.event_id WHERE e.seq > :s"
    )
    gone = [r[0] for r in session.execute(text(made), {"s": keep})]
    session.execute(
        text("DELETE FROM eventbatch WHERE event_id IN (SELECT id FROM event WHERE seq > :s)"),
        {"s": keep},
    )
    session.execute(text("DELETE FROM event WHERE seq > :s"), {"s": keep})
    for batch_id in gone:
        session.execute(text("DELETE FROM batch WHERE id = :b"), {"b": batch_id})
    session.execute(text("UPDATE chainhead SET seq = :s, hash = :h"), {"s": keep, "h": head})
    session.commit()


def rewrite_from(session, seq: int, edit) -> None:
    """Edit event ``seq``'s content and recompute every hash from there to the head, as an
    attacker with the database would: the chain is valid again."""
    drop_guards(session)
    rows = session.execute(
        text("SELECT seq, payload, prev_hash FROM event WHERE seq >= :s ORDER BY seq"),
        {"s": seq},
    ).all()
    prev = rows[0].prev_hash
    for row in rows:
        payload = row.payload
        if row.seq == seq:
            payload = chain.canonical(edit(json.loads(payload)))
        digest = chain.event_hash(prev, payload)
        session.execute(
            text("UPDATE event SET payload = :p, prev_hash = :v, hash = :h WHERE seq = :s"),
            {"p": payload, "v": prev, "h": digest, "s": row.seq},
        )
        prev = digest
    session.execute(text("UPDATE chainhead SET hash = :h"), {"h": prev})
    session.commit()


def _carrier(payload: dict) -> dict:
    payload["circ:carrier"] = "Nobody"
    return payload


def test_a_cut_off_tail_passes_the_chain_but_not_the_checkpoint(park, db_session):
    five_events(db_session)
    note = checkpoints.create(db_session).note
    cut_tail(db_session, 3)
    assert chain.verify(db_session).ok  # what a bare hash chain sees
    result = checkpoints.check(db_session, note)
    assert not result.ok
    assert "holds 3 of the 5 events" in result.problem and "cut off" in result.problem


def test_a_rewritten_chain_passes_the_chain_but_not_the_checkpoint(park, db_session):
    five_events(db_session)
    note = checkpoints.create(db_session).note
    rewrite_from(db_session, 2, _carrier)
    assert chain.verify(db_session).ok
    result = checkpoints.check(db_session, note)
    assert not result.ok and "rewritten" in result.problem


def test_a_checkpoint_of_another_key_or_log_is_refused(park, db_session):
    five_events(db_session)
    body = proofs.parse_body(
        signed_note.open_note(checkpoints.create(db_session).note, checkpoints.verifier())
    )
    forged = signed_note.sign(body.body(), body.origin, Ed25519PrivateKey.generate())
    result = checkpoints.check(db_session, forged)
    assert not result.ok and "no signature" in result.problem
    key = checkpoints.signing_key()
    other = proofs.Checkpoint("elsewhere.test/events", body.size, body.root, body.head, body.time)
    result = checkpoints.check(
        db_session,
        signed_note.sign(other.body(), other.origin, key),
        signed_note.Verifier(other.origin, key.public_key()),
    )
    assert not result.ok and "another log" in result.problem


def test_the_empty_log_can_be_signed(park, db_session):
    signed = proofs.parse_body(checkpoints.create(db_session).note.split("\n\n")[0] + "\n")
    assert (signed.size, signed.root, signed.head) == (0, merkle.EMPTY_ROOT, chain.GENESIS)


def test_commands_sign_print_the_key_and_verify(app, db_session, tmp_path):
    five_events(db_session)
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )
    env = {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "CHECKPOINT_KEY_FILE": str(key_file),
        "BASE_URL": "https://circularity.park.test",
    }
    runner = CliRunner()
    vkey = runner.invoke(cli, ["public-key"], env=env)
    assert vkey.exit_code == 0 and vkey.output.startswith("circularity.park.test/events+")
    signed = tmp_path / "checkpoint.txt"
    made = runner.invoke(cli, ["checkpoint", "-o", str(signed)], env=env)
    assert made.exit_code == 0, made.output
    db_session.rollback()
    assert len(db_session.exec(select(Checkpoint)).all()) == 1
    ok = runner.invoke(cli, ["verify", "--checkpoint", str(signed)], env=env)
    assert ok.exit_code == 0, ok.output
    assert "the 5 events the checkpoint" in ok.output
    published = tmp_path / "vkey.txt"
    published.write_text(vkey.output)
    with_key = runner.invoke(
        cli, ["verify", "--checkpoint", str(signed), "--key", str(published)], env=env
    )
    assert with_key.exit_code == 0, with_key.output
    rewrite_from(db_session, 4, lambda p: {**p, "ilmd": {**p["ilmd"], "circ:description": "x"}})
    broken = runner.invoke(cli, ["verify", "--checkpoint", str(signed)], env=env)
    assert broken.exit_code == 1 and "CHECKPOINT FAILS" in broken.output
    refused = runner.invoke(cli, ["verify", "--checkpoint", str(tmp_path / "none.txt")], env=env)
    assert refused.exit_code == 2 and "cannot read the checkpoint" in refused.output
