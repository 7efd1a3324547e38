"""A restricted transportation LP that HiGHS keeps warm between column-generation rounds.

Re-solving from scratch each round repeats all the pivots of the previous round; keeping the
model and its basis alive makes a round cost only the pivots its new pairs cause. Two settings
make that true for this problem:

- every pair column is boxed by min(offer tonnes, demand tonnes). The bound is redundant for the
  optimum, but a new column that prices positive can then sit at its upper bound, which keeps
  the basis dual feasible, so the dual simplex carries on where it stopped instead of starting
  a phase 1;
- cost perturbation is off: on this highly degenerate problem it saves little, and removing it
  at the end costs thousands of primal clean-up pivots in every round;
- Devex pricing instead of dual steepest edge: exact edge weights must be rebuilt after every
  change of the model, which on a regional market cost more than the pivots they saved
  (15 s instead of 25 s of simplex time, measured on the benchmark's region).

HiGHS comes from the `highspy` package when it is installed (its public interface), otherwise
from the copy scipy ships; both expose the same class. With neither, `ColdLP` solves each round
afresh with `scipy.optimize.linprog`: slower, never wrong.
"""

from __future__ import annotations

import numpy as np

from mfa.errors import MFAError


class SolverError(MFAError):
    """The LP solver failed on a problem that is always feasible; this is a bug, not bad input."""


def _highs_module():
    """(Highs class, module with HighsLp and ObjSense), or None."""
    try:
        import highspy

        return highspy.Highs, highspy
    except ImportError:
        pass
    try:
        from scipy.optimize._highspy import _core
    except ImportError:
        return None
    return _core._Highs, _core


class WarmLP:
    """Rows are offers then demands (0 ≤ Σ x ≤ tonnes); columns are pairs, added and removed."""

    def __init__(self, capacity: np.ndarray, highs_class, module) -> None:
        self.highs = highs_class()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("simplex_strategy", 1)  # dual simplex
        self.highs.setOptionValue("dual_simplex_cost_perturbation_multiplier", 0.0)
        self.highs.setOptionValue("simplex_dual_edge_weight_strategy", 1)  # Devex
        lp = module.HighsLp()
        lp.num_col_ = 0
        lp.num_row_ = len(capacity)
        lp.row_lower_ = np.zeros(len(capacity))
        lp.row_upper_ = np.asarray(capacity, dtype=float)
        lp.sense_ = module.ObjSense.kMaximize
        self.highs.passModel(lp)

    def add(self, tail: np.ndarray, head: np.ndarray, cost: np.ndarray, upper: np.ndarray) -> None:
        n = len(tail)
        index = np.empty(2 * n, dtype=np.int32)
        index[0::2], index[1::2] = tail, head
        starts = np.arange(0, 2 * n, 2, dtype=np.int32)
        self.highs.addCols(n, cost, np.zeros(n), upper, 2 * n, starts, index, np.ones(2 * n))

    def delete(self, positions: np.ndarray) -> None:
        self.highs.deleteCols(len(positions), positions.astype(np.int32))

    def solve(self) -> tuple[np.ndarray, np.ndarray]:
        """Column values and row prices (≥ 0 per tonne of each offer's and demand's capacity)."""
        self.highs.run()
        status = self.highs.modelStatusToString(self.highs.getModelStatus())
        if status != "Optimal":
            raise SolverError(f"HiGHS stopped on a restricted problem: {status}")
        solution = self.highs.getSolution()
        return np.asarray(solution.col_value), np.asarray(solution.row_dual)


class ColdLP:
    """The same interface over `scipy.optimize.linprog`, re-solving every round from scratch."""

    def __init__(self, capacity: np.ndarray) -> None:
        self.capacity = np.asarray(capacity, dtype=float)
        self.tail = np.empty(0, dtype=np.int64)
        self.head = np.empty(0, dtype=np.int64)
        self.cost = np.empty(0)
        self.upper = np.empty(0)

    def add(self, tail: np.ndarray, head: np.ndarray, cost: np.ndarray, upper: np.ndarray) -> None:
        self.tail = np.concatenate([self.tail, tail])
        self.head = np.concatenate([self.head, head])
        self.cost = np.concatenate([self.cost, cost])
        self.upper = np.concatenate([self.upper, upper])

    def delete(self, positions: np.ndarray) -> None:
        keep = np.ones(len(self.tail), dtype=bool)
        keep[positions] = False
        self.tail, self.head = self.tail[keep], self.head[keep]
        self.cost, self.upper = self.cost[keep], self.upper[keep]

    def solve(self) -> tuple[np.ndarray, np.ndarray]:
        # Imported here: scipy's optimiser takes a fifth of a second to load, and the engine
        # only needs it when neither the network simplex nor a HiGHS class is at hand.
        import scipy.sparse as sp
        from scipy.optimize import linprog

        n = len(self.tail)
        a_ub = sp.csc_array(
            (np.ones(2 * n), (np.concatenate([self.tail, self.head]), np.tile(np.arange(n), 2))),
            shape=(len(self.capacity), n),
        )
        bounds = np.column_stack([np.zeros(n), self.upper])
        res = linprog(-self.cost, A_ub=a_ub, b_ub=self.capacity, bounds=bounds, method="highs")
        if res.status != 0:
            raise SolverError(f"HiGHS failed on a restricted problem: {res.message}")
        return res.x, -res.ineqlin.marginals


def restricted_lp(capacity: np.ndarray, warm: bool = True) -> WarmLP | ColdLP:
    """The warm model when a HiGHS class is at hand, else the cold one."""
    found = _highs_module() if warm else None
    return WarmLP(capacity, *found) if found is not None else ColdLP(capacity)
