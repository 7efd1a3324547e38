# The pivot rules, the thread bookkeeping and the block search are adapted from NetworkX's
# network_simplex (networkx/algorithms/flow/networksimplex.py), which carries this notice:
#
# Copyright (c) 2004-2025, NetworkX Developers
# Aric Hagberg <hagberg@lanl.gov>
# Dan Schult <dschult@colgate.edu>
# Pieter Swart <swart@lanl.gov>
# All rights reserved.
#
# Redistribution and use in source and binary forms, with or without
# modification, are permitted provided that the following conditions are
# met:
#
# * Redistributions of source code must retain the above copyright
# notice, this list of conditions and the following disclaimer.
#
# * Redistributions in binary form must reproduce the above
# copyright notice, this list of conditions and the following
# disclaimer in the documentation and/or other materials provided
# with the distribution.
#
# * Neither the name of the NetworkX Developers nor the names of its
# contributors may be used to endorse or promote products derived
# from this software without specific prior written permission.
#
# THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
# "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
# LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
# A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
# OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
# SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
# LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
# DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
# THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
# (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
# OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.

"""The restricted problem as a network: a primal network simplex, compiled by numba.

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
networkx's `network_simplex`, written over flat arrays so numba can compile them. Without numba
the module is not used (`available()` is false) and the engine keeps HiGHS.
"""

from __future__ import annotations

import numpy as np

from mfa.matching.highs import SolverError

try:
    from numba import njit
except ImportError:  # pragma: no cover - exercised where numba is not installed
    njit = None

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
    return njit is not None


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
        pivots, optimal = _simplex(
            self.src, self.tgt, self.cost, self.flow, self.dead, self.basic, self.pi,
            self.parent, self.pedge, self.size, self.nxt, self.prv, self.last,
            self.m, self.state, ENTER_TOLERANCE, limit, max(16, int(BLOCK_FACTOR * self.m**0.5)),
        )  # fmt: skip
        self.pivots += pivots
        if not optimal:
            raise SolverError("network simplex did not finish within its pivot limit")
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


def kernel(function):
    """numba-compiled (cached on disk, GIL released) when numba is installed, else as is."""
    return njit(cache=True, nogil=True)(function) if njit is not None else function


@kernel
def _path_up(x, apex, parent, pedge, nodes, edges):
    """The nodes from x up to (not including) apex and the tree arcs above them; their count."""
    n = 0
    while x != apex:
        nodes[n] = x
        edges[n] = pedge[x]
        n += 1
        x = parent[x]
    return n


@kernel
def _simplex(src, tgt, cost, flow, dead, basic, pi, parent, pedge, size, nxt, prv, last,
             m, state, eps, limit, block):  # fmt: skip
    """Pivot until no arc prices below -eps; (pivots, finished)."""
    n = len(pi)
    path_p = np.empty(n + 1, dtype=np.int64)
    edge_p = np.empty(n + 1, dtype=np.int64)
    path_q = np.empty(n + 1, dtype=np.int64)
    edge_q = np.empty(n + 1, dtype=np.int64)
    cyc_n = np.empty(2 * n + 2, dtype=np.int64)
    cyc_e = np.empty(2 * n + 2, dtype=np.int64)
    anc = np.empty(n + 1, dtype=np.int64)
    block = min(block, m)
    blocks = (m + block - 1) // block
    start = state[0] % m
    misses = 0
    pivots = 0
    while misses < blocks:
        if pivots >= limit:
            state[0] = start
            return pivots, False
        # Block search: the most negative reduced cost among the next `block` arcs.
        best = -eps
        entering = -1
        for k in range(block):
            a = start + k
            if a >= m:
                a -= m
            if dead[a] or basic[a]:
                continue
            c = cost[a] - pi[src[a]] + pi[tgt[a]]
            if c < best:
                best = c
                entering = a
        start += block
        if start >= m:
            start -= m
        if entering < 0:
            misses += 1
            continue
        misses = 0
        pivots += 1
        p = src[entering]
        q = tgt[entering]
        # The cycle: apex -> ... -> p, the entering arc, q -> ... -> apex.
        apex = _apex(p, q, parent, size)
        n1 = _path_up(p, apex, parent, pedge, path_p, edge_p)
        n2 = _path_up(q, apex, parent, pedge, path_q, edge_q)
        cyc_n[0] = apex
        for k in range(n1):
            cyc_n[k + 1] = path_p[n1 - 1 - k]
            cyc_e[k] = edge_p[n1 - 1 - k]
        cyc_e[n1] = entering
        for k in range(n2):
            cyc_n[n1 + 1 + k] = path_q[k]
            cyc_e[n1 + 1 + k] = edge_q[k]
        length = n1 + 1 + n2
        # Leaving arc: least residual against the cycle's direction, the last one on ties
        # (this keeps the tree strongly feasible). Arcs are uncapacitated forwards.
        delta = np.inf
        jk = -1
        for k in range(length - 1, -1, -1):
            e = cyc_e[k]
            if src[e] != cyc_n[k] and flow[e] < delta:
                delta = flow[e]
                jk = k
        if jk < 0:
            # An improving cycle without a backward arc would be unbounded: impossible here.
            state[0] = start
            return pivots, False
        for k in range(length):
            e = cyc_e[k]
            if src[e] == cyc_n[k]:
                flow[e] += delta
            else:
                flow[e] -= delta
        j = cyc_e[jk]
        flow[j] = 0.0
        s = cyc_n[jk]
        t = tgt[j] if src[j] == s else src[j]
        if parent[t] != s:
            s, t = t, s
        if n1 > jk:
            p, q = q, p
        _remove_edge(s, t, parent, pedge, size, nxt, prv, last)
        _make_root(q, parent, pedge, size, nxt, prv, last, anc)
        _add_edge(entering, p, q, parent, pedge, size, nxt, prv, last)
        # Shift q's new subtree so that the entering arc prices at zero.
        sign = -1.0 if q == tgt[entering] else 1.0
        d = pi[p] + sign * cost[entering] - pi[q]
        x = q
        end = last[q]
        pi[x] += d
        while x != end:
            x = nxt[x]
            pi[x] += d
        basic[j] = False
        basic[entering] = True
    state[0] = start
    return pivots, True


@kernel
def _apex(p, q, parent, size):
    """The lowest common ancestor of p and q (subtree sizes grow towards the root)."""
    size_p = size[p]
    size_q = size[q]
    while True:
        while size_p < size_q:
            p = parent[p]
            size_p = size[p]
        while size_p > size_q:
            q = parent[q]
            size_q = size[q]
        if p == q:
            return p
        if size_p == size_q:
            p = parent[p]
            size_p = size[p]
            q = parent[q]
            size_q = size[q]


@kernel
def _remove_edge(s, t, parent, pedge, size, nxt, prv, last):
    """Cut the tree arc between s and its child t."""
    size_t = size[t]
    prev_t = prv[t]
    last_t = last[t]
    next_last_t = nxt[last_t]
    parent[t] = -1
    pedge[t] = -1
    nxt[prev_t] = next_last_t
    prv[next_last_t] = prev_t
    nxt[last_t] = t
    prv[t] = last_t
    while s != -1:
        size[s] -= size_t
        if last[s] == last_t:
            last[s] = prev_t
        s = parent[s]


@kernel
def _make_root(q, parent, pedge, size, nxt, prv, last, anc):
    """Re-hang q's (cut-off) subtree from q."""
    count = 0
    x = q
    while x != -1:
        anc[count] = x
        count += 1
        x = parent[x]
    for k in range(count - 1, 0, -1):
        p = anc[k]
        q = anc[k - 1]
        size_p = size[p]
        last_p = last[p]
        prev_q = prv[q]
        last_q = last[q]
        next_last_q = nxt[last_q]
        parent[p] = q
        parent[q] = -1
        pedge[p] = pedge[q]
        pedge[q] = -1
        size[p] = size_p - size[q]
        size[q] = size_p
        nxt[prev_q] = next_last_q
        prv[next_last_q] = prev_q
        nxt[last_q] = q
        prv[q] = last_q
        if last_p == last_q:
            last[p] = prev_q
            last_p = prev_q
        prv[p] = last_q
        nxt[last_q] = p
        nxt[last_p] = q
        prv[q] = last_p
        last[q] = last_p


@kernel
def _add_edge(i, p, q, parent, pedge, size, nxt, prv, last):
    """Hang the subtree rooted at q below p through arc i."""
    last_p = last[p]
    next_last_p = nxt[last_p]
    size_q = size[q]
    last_q = last[q]
    parent[q] = p
    pedge[q] = i
    nxt[last_p] = q
    prv[q] = last_p
    prv[next_last_p] = last_q
    nxt[last_q] = next_last_p
    while p != -1:
        size[p] += size_q
        if last[p] == last_p:
            last[p] = last_q
        p = parent[p]
