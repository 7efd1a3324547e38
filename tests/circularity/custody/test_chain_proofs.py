"""Proofs of one event: made from the database, checked with the public key alone, and every
forgery (wrong index, sibling, size, root, signature, content) refused."""

import base64
import copy
import json

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from circularity.cli import cli
from circularity.services.custody import chain, checkpoints, merkle, proofs, signed_note
from circularity.services.errors import InvalidInput, NotFound
from tests.circularity.custody.test_chain import five_events
from tests.helpers import register


@pytest.fixture
def park(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        yield app


@pytest.fixture
def seven(park, db_session):
    """Seven events, a checkpoint of them, and the log's verifier key."""
    five_events(db_session)
    register(db_session)
    register(db_session)
    note = checkpoints.create(db_session).note
    return note, checkpoints.verifier()


def test_every_event_has_a_proof_that_holds(db_session, seven):
    note, verifier = seven
    for seq in range(1, 8):
        document = checkpoints.prove(db_session, seq)
        proven = proofs.check_proof(json.loads(json.dumps(document)), verifier)
        assert (proven.seq, proven.checkpoint.size) == (seq, 7)
        assert document["checkpoint"] == note


def test_the_proof_of_event_seven_of_seven_by_hand(db_session, seven):
    """Leaf 6 of 7 climbs past the node over leaves 4-5, then the node over 0-3."""
    document = checkpoints.prove(db_session, 7)
    rows = checkpoints._leaves(db_session, 7)
    leaves = [proofs.leaf(h) for _, h in rows]
    expected = [
        merkle.node_hash(leaves[4], leaves[5]),
        merkle.node_hash(merkle.node_hash(leaves[0], leaves[1]), merkle.node_hash(*leaves[2:4])),
    ]
    assert document["inclusionPath"] == [base64.b64encode(h).decode() for h in expected]
    assert document["leafIndex"] == 6 and document["event"]["seq"] == 7


def test_a_proof_of_a_later_log_against_an_earlier_checkpoint(db_session, seven):
    note, verifier = seven
    register(db_session)
    document = checkpoints.prove(db_session, 3, note)
    assert proofs.check_proof(document, verifier).checkpoint.size == 7
    with pytest.raises(InvalidInput, match="events 1 to 7"):
        checkpoints.prove(db_session, 8, note)


def test_no_proof_without_a_checkpoint(park, db_session):
    five_events(db_session)
    with pytest.raises(NotFound, match="No checkpoint"):
        checkpoints.prove(db_session, 1)


def _b64_flip(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _forged_signature(document, verifier):
    """The same checkpoint body signed by a key that is not the log's."""
    body = document["checkpoint"].split("\n\n")[0] + "\n"
    return signed_note.sign(body, verifier.name, Ed25519PrivateKey.generate())


def _rehash(document):
    """Edited content with its chain hash recomputed: the leaf no longer fits the path."""
    event = document["event"]
    event["payload"] = event["payload"].replace("Huayun", "Nobody")
    event["hash"] = chain.event_hash(event["prevHash"], event["payload"])


def _flip_signature(note: str) -> str:
    """The note with one bit of its Ed25519 signature flipped (the key ID kept)."""
    body, line = note.rstrip("\n").rsplit("\n", 1)
    name, blob = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[10] ^= 1
    return f"{body}\n{name} {base64.b64encode(bytes(raw)).decode()}\n"


FORGERIES = {
    "wrong index": lambda d, v: d.update(leafIndex=d["leafIndex"] + 1),
    "wrong index and seq": lambda d, v: (
        d.update(leafIndex=d["leafIndex"] + 1),
        d["event"].update(seq=d["event"]["seq"] + 1),
    ),
    "wrong sibling": lambda d, v: d["inclusionPath"].__setitem__(
        0, _b64_flip(d["inclusionPath"][0])
    ),
    "sibling missing": lambda d, v: d["inclusionPath"].pop(),
    "sibling added": lambda d, v: d["inclusionPath"].append(d["inclusionPath"][0]),
    "wrong size": lambda d, v: d.update(treeSize=8),
    "edited content": lambda d, v: d["event"].update(
        payload=d["event"]["payload"].replace("Huayun", "Nobody")
    ),
    "content and hash edited": lambda d, v: _rehash(d),
    "bad signature": lambda d, v: d.update(checkpoint=_flip_signature(d["checkpoint"])),
    "signed by another key": lambda d, v: d.update(checkpoint=_forged_signature(d, v)),
    "wrong root": lambda d, v: d.update(
        checkpoint=d["checkpoint"].replace(
            d["checkpoint"].split("\n")[2], _b64_flip(d["checkpoint"].split("\n")[2])
        )
    ),
}


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_forged_proofs_fail(db_session, seven, forgery):
    _note, verifier = seven
    document = copy.deepcopy(checkpoints.prove(db_session, 2))  # event 2 is the shipment
    FORGERIES[forgery](document, verifier)
    with pytest.raises(proofs.ProofError) as refused:
        proofs.check_proof(document, verifier)
    assert "malformed" not in str(refused.value)  # refused for what it claims, not its form


def test_a_proof_against_another_checkpoint_than_the_one_held_fails(db_session, seven):
    note, verifier = seven
    register(db_session)
    later = checkpoints.create(db_session).note
    document = checkpoints.prove(db_session, 2, later)
    assert proofs.check_proof(document, verifier, later)
    with pytest.raises(proofs.ProofError, match="log of 8 events, the checkpoint signed 7"):
        proofs.check_proof(document, verifier, note)


def test_prove_and_check_proof_commands(app, db_session, tmp_path):
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
    signed = tmp_path / "checkpoint.txt"
    assert runner.invoke(cli, ["checkpoint", "-o", str(signed)], env=env).exit_code == 0
    vkey = runner.invoke(cli, ["public-key"], env=env).output.strip()
    proof = tmp_path / "proof.json"
    made = runner.invoke(cli, ["prove", "3", "-o", str(proof)], env=env)
    assert made.exit_code == 0, made.output
    # The auditor's side: no database at all (the URL names a folder that does not exist).
    auditor = {"DATABASE_URL": f"sqlite:///{tmp_path}/nowhere/none.sqlite"}
    ok = runner.invoke(
        cli, ["check-proof", str(proof), "--key", vkey, "--checkpoint", str(signed)], env=auditor
    )
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("OK: event 3 (receive,") and "of the 5 events" in ok.output
    assert not (tmp_path / "nowhere").exists()
    document = json.loads(proof.read_text())
    document["leafIndex"] = 3
    proof.write_text(json.dumps(document))
    forged = runner.invoke(cli, ["check-proof", str(proof), "--key", vkey], env=auditor)
    assert forged.exit_code == 1 and "is not that of event 3" in forged.output
    proof.write_text("{not json")
    malformed = runner.invoke(cli, ["check-proof", str(proof), "--key", vkey], env=auditor)
    assert malformed.exit_code == 2 and "not JSON" in malformed.output
    bad_key = runner.invoke(cli, ["check-proof", str(proof), "--key", "x+y+z"], env=auditor)
    assert bad_key.exit_code == 2 and "public key" in bad_key.output
    beyond = runner.invoke(cli, ["prove", "6"], env=env)
    assert beyond.exit_code == 2 and "events 1 to 5" in beyond.output
