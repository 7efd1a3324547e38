"""The restricted problem as a network: a primal network simplex, compiled (`_kernels.c`).

The restricted LP of column generation is a transportation problem, and on a network a simplex
pivot is a walk around one cycle of a spanning tree instead of a factorised basis update. On the
benchmark's region HiGHS's dual simplex needed about 205,000 pivots at 50 to 100 microseconds
each (most of the engine's time, 14 to 21 s); here about 370,000 pivots cost about 15
microseconds each (5.5 to 6.5 s), most of it re-pricing the subtree a pivot re-hangs. Column
generation also suits the primal method: a new pair joins as a non-basic arc without flow, so
the tree stays feasible and the next round starts exactly where the last one stopped.

The network: a root node, every offer with its tonnes as supply and a slack arc offer -> root
(what stays unmatched), every demand with a slack arc root -> demand, and one arc offer -> demand
per pair, cost -net, uncapacitated (flow is bounded by the tonnes anyway). The first tree is
the slack arcs, all with positive flow, so it is strongly feasible; the leaving-arc rule keeps
it so, which rules out cycling on degenerate pivots. The node potentials are the LP prices:
`u_o = -pi_o`, `v_d = pi_d` (the root's potential stays 0).

The pivot rules, the thread (depth-first order) bookkeeping and the block search follow
networkx's `network_simplex` (BSD licence; its notice is kept in `_kernels.c`), written in C
over flat arrays. This class keeps the arrays and the first tree. Where the C library was not
built, the module is not used (`available()` is false) and the engine keeps HiGHS.
"""

from __future__ import annotations

import numpy as np

from mfa.matching import kernels
from mfa.matching.highs import SolverError

#: Reduced costs (kg CO2e/t) above minus this are not worth a pivot: far below the outer
#: loop's price tolerance, far above the rounding noise of potentials summed along a tree.
ENTER_TOLERANCE = 1e-9

#: Arcs scanned per block of the pivot search, times the square root of the number of arcs:
#: on the region 0.2 to 0.5 took 5.5 s of pivots, 1 (networkx's choice) 6.3 s, 3 9.0 s.
BLOCK_FACTOR = 0.3

#: Pivots allowed per arc and node before the kernel gives up (it never has, but a loop that
#: cannot end must not hang a server); the engine then falls back to HiGHS.
PIVOTS_PER_ELEMENT = 50


def available() -> bool:
    """Whether the compiled kernel can run here."""
    return kernels.available()


class NetworkLP:
    """Rows are offers then demands, as in `highs.WarmLP`; columns are pair arcs, in the order
    they were added (deleted ones are skipped, never reused)."""

    def __init__(self, capacity: np.ndarray, n_offers: int) -> None:
        capacity = np.asarray(capacity, dtype=float)
        n = len(capacity) + 1  # nodes: offers, demands, root
        root = n - 1
        self.n_offers = n_offers
        self.root = root
        room = max(1024, 4 * n)
        self.src = np.empty(room, dtype=np.int64)
        self.tgt = np.empty(room, dtype=np.int64)
        self.cost = np.zeros(room)
        self.flow = np.zeros(room)
        self.dead = np.zeros(room, dtype=np.bool_)
        self.basic = np.zeros(room, dtype=np.bool_)
        # Slack arcs have the id of their node: offer -> root, root -> demand.
        nodes = np.arange(n - 1)
        offer = nodes < n_offers
        self.src[: n - 1] = np.where(offer, nodes, root)
        self.tgt[: n - 1] = np.where(offer, root, nodes)
        self.flow[: n - 1] = capacity
        self.basic[: n - 1] = True
        self.m = n - 1
        self.columns = np.empty(0, dtype=np.int64)  # arc id of each LP column
        self.pi = np.zeros(n)
        self.parent = np.append(np.full(n - 1, root, dtype=np.int64), -1)
        self.pedge = np.append(nodes.astype(np.int64), -1)
        self.size = np.append(np.ones(n - 1, dtype=np.int64), n)
        self.nxt = np.append(np.arange(1, n, dtype=np.int64), 0)
        self.prv = np.append(root, np.arange(0, n - 1, dtype=np.int64))
        self.last = np.append(nodes.astype(np.int64), n - 2)
        self.state = np.zeros(1, dtype=np.int64)  # where the block search goes on
        self.pivots = 0

    def add(self, tail: np.ndarray, head: np.ndarray, cost: np.ndarray, upper: np.ndarray) -> None:
        """New pair arcs without flow (`upper` is not needed: the tonnes bound every arc)."""
        k = len(tail)
        if self.m + k > len(self.src):
            self._grow(self.m + k)
        sl = slice(self.m, self.m + k)
        self.src[sl], self.tgt[sl], self.cost[sl] = tail, head, -np.asarray(cost, dtype=float)
        self.flow[sl], self.dead[sl], self.basic[sl] = 0.0, False, False
        self.columns = np.concatenate([self.columns, np.arange(self.m, self.m + k)])
        self.m += k

    def delete(self, positions: np.ndarray) -> None:
        """Drop columns; only arcs without flow outside the tree may go, as the caller's are."""
        arcs = self.columns[positions]
        if self.basic[arcs].any() or (self.flow[arcs] != 0).any():
            raise SolverError("only idle non-basic pairs can leave the network")
        self.dead[arcs] = True
        self.columns = np.delete(self.columns, positions)

    def solve(self) -> tuple[np.ndarray, np.ndarray]:
        """Column flows and row prices (offers' u, then demands' v), as `WarmLP.solve`."""
        limit = PIVOTS_PER_ELEMENT * (self.m + len(self.pi))
        pivots, optimal = kernels.network_simplex(
            (self.src, self.tgt, self.cost, self.flow, self.dead, self.basic),
            (self.pi, self.parent, self.pedge, self.size, self.nxt, self.prv, self.last),
            self.m, self.state, ENTER_TOLERANCE, limit, max(16, int(BLOCK_FACTOR * self.m**0.5)),
        )  # fmt: skip
        self.pivots += pivots
        if not optimal:
            raise SolverError("network simplex did not finish within its pivot limit")
        # The kernel moves whichever side of a pivot is smaller, so potentials drift by a
        # constant; prices are measured from the root, as the slack arcs' zero costs say.
        self.pi -= self.pi[self.root]
        price = self.pi[:-1].copy()
        price[: self.n_offers] *= -1.0
        return self.flow[self.columns].copy(), price

    def _grow(self, need: int) -> None:
        room = max(need, 2 * len(self.src))
        for name in ("src", "tgt", "cost", "flow", "dead", "basic"):
            old = getattr(self, name)
            new = np.zeros(room, dtype=old.dtype)
            new[: self.m] = old[: self.m]
            setattr(self, name, new)
