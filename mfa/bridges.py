"""Graph helpers for reconciliation: bridges of a multigraph and sums over the bridge tree.

An unmeasured flow is fixed by the balances exactly when it is a bridge of the graph the
unmeasured flows form (with everything outside the system merged into one "ground" node):
if it lay on a cycle, mass could circulate round that cycle without breaking any balance.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def bridges(n_nodes: int, tails: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """Return a boolean mask of the edges that are bridges of the undirected multigraph.

    Parallel edges are never bridges, and neither are self-loops: the depth-first search skips
    the edge it arrived by (by edge id, not by node), so a second edge to the parent counts as
    a cycle. Iterative, because a long chain of unmeasured flows would overflow Python's stack.
    """
    m = len(tails)
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n_nodes)]
    for e, (u, v) in enumerate(zip(tails.tolist(), heads.tolist(), strict=True)):
        adjacency[u].append((v, e))
        adjacency[v].append((u, e))
    disc = [-1] * n_nodes
    low = [0] * n_nodes
    is_bridge = np.zeros(m, dtype=bool)
    clock = 0
    for start in range(n_nodes):
        if disc[start] != -1 or not adjacency[start]:
            continue
        disc[start] = low[start] = clock
        clock += 1
        stack = [(start, -1, iter(adjacency[start]))]
        while stack:
            u, arrived_by, neighbours = stack[-1]
            descended = False
            for v, e in neighbours:
                if e == arrived_by:
                    continue
                if disc[v] == -1:
                    disc[v] = low[v] = clock
                    clock += 1
                    stack.append((v, e, iter(adjacency[v])))
                    descended = True
                    break
                low[u] = min(low[u], disc[v])
            if descended:
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[u])
                if low[u] > disc[parent]:
                    is_bridge[arrived_by] = True
    return is_bridge


class BridgeForest:
    """The forest whose nodes are the 2-edge-connected groups and whose edges are the bridges.

    Each tree is rooted at the group holding ``root_hint`` (the ground node) when it has it,
    otherwise at its lowest-numbered group. Every bridge then has a child side, its subtree,
    and the balances of that subtree summed together involve that bridge alone.
    """

    def __init__(self, n_nodes: int, tails: np.ndarray, heads: np.ndarray, root_hint: int):
        self.is_bridge = bridges(n_nodes, tails, heads)
        keep = ~self.is_bridge
        graph = coo_matrix(
            (np.ones(int(keep.sum())), (tails[keep], heads[keep])), shape=(n_nodes, n_nodes)
        )
        self.n_groups, self.group = connected_components(graph, directed=False)
        bridge_ids = np.flatnonzero(self.is_bridge)
        tree_adj: list[list[tuple[int, int]]] = [[] for _ in range(self.n_groups)]
        for e in bridge_ids.tolist():
            a, b = int(self.group[tails[e]]), int(self.group[heads[e]])
            tree_adj[a].append((b, e))
            tree_adj[b].append((a, e))
        self.parent = np.full(self.n_groups, -1)
        self.parent_edge = np.full(self.n_groups, -1)
        self.order: list[int] = []
        seen = np.zeros(self.n_groups, dtype=bool)
        roots = [int(self.group[root_hint]), *range(self.n_groups)]
        for root in roots:
            if seen[root]:
                continue
            seen[root] = True
            queue = deque([root])
            while queue:
                u = queue.popleft()
                self.order.append(u)
                for v, e in tree_adj[u]:
                    if not seen[v]:
                        seen[v] = True
                        self.parent[v] = u
                        self.parent_edge[v] = e
                        queue.append(v)

    def subtree_sums(self, per_group: np.ndarray) -> np.ndarray:
        """Sum a per-group quantity over each group's subtree (the group itself included)."""
        sums = per_group.astype(float).copy()
        for u in reversed(self.order):
            p = self.parent[u]
            if p >= 0:
                sums[p] += sums[u]
        return sums

    def ancestor_bridges(self) -> list[list[int]]:
        """For each group, the child groups whose subtrees contain it (itself and its ancestors
        below the root); the bridge above each of those is affected by this group's balance."""
        chains: list[list[int]] = [[] for _ in range(self.n_groups)]
        for u in self.order:
            p = self.parent[u]
            if p >= 0:
                chains[u] = [*chains[p], u]
        return chains
