"""The Merkle tree of RFC 6962 over the event log: roots and inclusion proofs, pure.

The hash chain shows that a log was not altered in the middle, but a log rewritten from an
edited event onwards is a valid chain again. A signed tree root (a checkpoint) pins every
event up to its size, and an inclusion proof shows one event is under that root with about
log2(n) hashes, so a company can show an auditor its event without handing over the log.

The tree is exactly RFC 6962's (section 2.1), so the proofs check with any transparency-log
tool: a leaf hashes as SHA-256(0x00 || data), an inner node as SHA-256(0x01 || left ||
right), a tree of n > 1 leaves splits at k, the largest power of two smaller than n, and
the empty tree's root is SHA-256 of nothing. Proofs are checked with the algorithm of
RFC 9162, section 2.1.3.2. Nothing here touches the database.
"""

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf, prefixed so that a leaf can never pass for an inner node."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """The tree head of these leaf hashes (each already ``leaf_hash``-ed).

    Built left to right from perfect subtrees, as a log grows, in one pass without
    recursion: the subtrees of sizes 2^a > 2^b > ... that make up n are folded from the
    right, H(P_a, H(P_b, ...)), which is the RFC's recursive split unrolled.
    """
    stack: list[tuple[int, bytes]] = []
    for digest in leaves:
        size = 1
        while stack and stack[-1][0] == size:
            digest = node_hash(stack.pop()[1], digest)
            size *= 2
        stack.append((size, digest))
    if not stack:
        return EMPTY_ROOT
    digest = stack[-1][1]
    for _size, left in reversed(stack[:-1]):
        digest = node_hash(left, digest)
    return digest


def _subtree_root(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    if hi - lo == 1:
        return leaves[lo]
    k = split_point(hi - lo)
    return node_hash(_subtree_root(leaves, lo, lo + k), _subtree_root(leaves, lo + k, hi))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``leaves`` (RFC 6962, 2.1.1), from
    the leaf's sibling up to the root's other child."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf index {index} is outside a tree of {len(leaves)} leaves")
    path: list[bytes] = []
    lo, hi = 0, len(leaves)
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            path.append(_subtree_root(leaves, lo + k, hi))
            hi = lo + k
        else:
            path.append(_subtree_root(leaves, lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root that ``proof`` leads to from ``leaf`` at ``index`` in a tree of ``size``,
    or None when the proof cannot belong to that index and size (RFC 9162, 2.1.3.2).

    The proof binds the leaf to a root, and the root to a size only through the signed
    checkpoint: a caller takes ``size`` and the root it compares with from there, never
    from the proof."""
    if not 0 <= index < size or len(leaf) != HASH_SIZE:
        return None
    if any(len(sibling) != HASH_SIZE for sibling in proof):
        return None
    fn, sn, digest = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return None  # more hashes than the path of this index has
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            digest = node_hash(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    return digest if sn == 0 else None


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf hash ``leaf`` at ``index`` under ``expected_root``."""
    return root_from_inclusion(leaf, index, size, proof) == expected_root
