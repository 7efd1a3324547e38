"""The RFC 6962 tree against the published known answers, and proofs that must not pass."""

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circularity.services.custody import merkle

VECTORS = Path(__file__).parent / "vectors"
TREE = json.loads((VECTORS / "rfc6962_tree.json").read_text())
PROBES = json.loads((VECTORS / "rfc6962_inclusion.json").read_text())["cases"]
LEAVES = [merkle.leaf_hash(bytes.fromhex(x)) for x in TREE["leafInputs"]]


def b64(text: str | None) -> bytes:
    return base64.b64decode(text or "")


def test_the_empty_tree_is_the_hash_of_nothing():
    assert merkle.root([]) == hashlib.sha256(b"").digest()
    assert merkle.root([]).hex() == TREE["rootHashes"][0]


def test_a_leaf_is_prefixed_with_a_zero_byte_and_a_node_with_a_one():
    # By hand: the first leaf input is empty, so its hash is SHA-256 of the single byte 0x00.
    assert LEAVES[0] == hashlib.sha256(b"\x00").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


def test_leaf_and_node_hashes_are_the_published_ones():
    assert [h.hex() for h in LEAVES] == TREE["nodeHashes"][0]
    level = LEAVES
    for expected in TREE["nodeHashes"][1:]:
        level = [merkle.node_hash(a, b) for a, b in zip(level[::2], level[1::2], strict=True)]
        assert [h.hex() for h in level] == expected


@pytest.mark.parametrize("size", range(9))
def test_tree_heads_are_the_published_ones(size):
    assert merkle.root(LEAVES[:size]).hex() == TREE["rootHashes"][size]


def test_the_split_is_at_the_largest_power_of_two_below_n():
    assert [merkle.split_point(n) for n in range(2, 10)] == [1, 2, 2, 4, 4, 4, 4, 8]
    # Three leaves: H(H(l0, l1), l2), not H(l0, H(l1, l2)).
    l0, l1, l2 = LEAVES[:3]
    assert merkle.root([l0, l1, l2]) == merkle.node_hash(merkle.node_hash(l0, l1), l2)


@pytest.mark.parametrize(
    "case", PROBES, ids=[c["file"].removeprefix("testdata/inclusion/") for c in PROBES]
)
def test_published_inclusion_probes(case):
    """Every probe of transparency-dev/merkle: the happy paths pass, every forgery fails."""
    proof = [b64(p) for p in case["proof"] or []]
    ok = merkle.verify_inclusion(
        b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, b64(case["root"])
    )
    assert ok is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("size", range(1, 9))
def test_every_proof_of_the_published_tree_verifies(size):
    expected_root = bytes.fromhex(TREE["rootHashes"][size])
    for index in range(size):
        proof = merkle.inclusion_proof(LEAVES[:size], index)
        assert merkle.verify_inclusion(LEAVES[index], index, size, proof, expected_root)


def test_the_path_of_leaf_two_of_eight_by_hand():
    """Leaf 2's siblings are leaf 3, then the node over leaves 0-1, then the node over 4-7."""
    nodes = [[bytes.fromhex(h) for h in level] for level in TREE["nodeHashes"]]
    assert merkle.inclusion_proof(LEAVES, 2) == [nodes[0][3], nodes[1][0], nodes[2][1]]


def test_the_path_of_the_last_leaf_of_seven():
    """In seven leaves, leaf 6 has no sibling at the bottom: its path is the node over 4-5,
    then the node over 0-3."""
    nodes = [[bytes.fromhex(h) for h in level] for level in TREE["nodeHashes"]]
    assert merkle.inclusion_proof(LEAVES[:7], 6) == [nodes[1][2], nodes[2][0]]


def _forgeries(proof: list[bytes], index: int, size: int):
    """Each way an attacker could bend a valid proof, as (what, leaf index, size, proof).

    A size one more or less often has a path of the same shape (leaf 0 of 7 and of 8 both
    climb three nodes on the left edge), so a proof alone cannot pin the size: the size and
    the root are both taken from the signed checkpoint (test_chain_proofs checks that).
    """
    yield "index + 1", index + 1, size, proof
    if index:
        yield "index - 1", index - 1, size, proof
    yield "size * 2", index, size * 2, proof
    for i in range(len(proof)):
        flipped = bytearray(proof[i])
        flipped[0] ^= 1
        yield f"sibling {i} changed", index, size, proof[:i] + [bytes(flipped)] + proof[i + 1 :]
        yield f"sibling {i} removed", index, size, proof[:i] + proof[i + 1 :]
    yield "a sibling added", index, size, [*proof, LEAVES[0]]
    if len(proof) > 1:
        yield "siblings swapped", index, size, [proof[1], proof[0], *proof[2:]]


@pytest.mark.parametrize("size", range(2, 9))
def test_forged_proofs_fail(size):
    expected_root = bytes.fromhex(TREE["rootHashes"][size])
    for index in range(size):
        proof = merkle.inclusion_proof(LEAVES[:size], index)
        for what, i, n, forged in _forgeries(proof, index, size):
            if i == index and n == size and forged == proof:
                continue
            ok = merkle.verify_inclusion(LEAVES[index], i, n, forged, expected_root)
            assert not ok, f"{what} passed for leaf {index} of {size}"
        other = LEAVES[(index + 1) % size]
        assert not merkle.verify_inclusion(other, index, size, proof, expected_root)
        wrong_root = bytes.fromhex(TREE["rootHashes"][size - 1])
        assert not merkle.verify_inclusion(LEAVES[index], index, size, proof, wrong_root)


def test_a_proof_for_a_leaf_outside_the_tree_is_refused():
    with pytest.raises(ValueError, match="outside"):
        merkle.inclusion_proof(LEAVES[:3], 3)
    assert merkle.root_from_inclusion(LEAVES[0], 0, 0, []) is None


def _recursive_root(leaves: list[bytes]) -> bytes:
    """RFC 6962's definition read literally, to check the one-pass root against."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.split_point(len(leaves))
    return merkle.node_hash(_recursive_root(leaves[:k]), _recursive_root(leaves[k:]))


@given(st.lists(st.binary(max_size=8), max_size=70), st.data())
def test_every_proof_leads_to_the_root(inputs, data):
    leaves = [merkle.leaf_hash(x) for x in inputs]
    expected_root = _recursive_root(leaves)
    assert merkle.root(leaves) == expected_root
    if leaves:
        index = data.draw(st.integers(0, len(leaves) - 1))
        proof = merkle.inclusion_proof(leaves, index)
        assert len(proof) <= max(1, len(leaves) - 1).bit_length()
        assert merkle.verify_inclusion(leaves[index], index, len(leaves), proof, expected_root)
