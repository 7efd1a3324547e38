"""Mass-balance reconciliation: weighted least squares with the balances as constraints.

Reported quantities never balance exactly. Following STAN (Cencic 2016) and Crowe et al. (1983),
the measured quantities move as little as their standard deviations allow so that every process
balances, the unmeasured ones are computed where the balances fix them, and a chi-square test says
whether the data can be consistent at all; a measurement test at the Šidák-corrected critical
value points at the quantities most likely wrong. The contract is docs/reconcile-format.md.

How it scales: the balance matrix is an incidence matrix, so the projection that eliminates the
unmeasured quantities is a graph contraction. Processes joined by unmeasured flows merge into one
group whose summed balance is free of them (Crowe's method); a group that reaches outside the
system through an unmeasured flow or stock gives no constraint at all. The remaining constraint
matrix is again an incidence matrix, so its rank is known from connected components and a
redundant row per floating component is dropped. The constraint covariance S = M Σ Mᵀ is then
positive definite; its inverse is needed only on its own pattern (mfa.spd).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.stats import chi2, norm

from mfa.bridges import BridgeForest
from mfa.errors import ContradictionError, InputError
from mfa.masses import check_mass, check_sd, check_unit
from mfa.spd import DenseInverse, SparseInverse, selected_inverse

#: Significance level of both tests: the global chi-square test calls data consistent when its
#: p-value is at least this, and the measurement test holds its family-wise error rate to it.
SIGNIFICANCE = 0.05
#: Relative size below which a residual of exact quantities counts as zero (rounding only).
EXACT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class FlowInput:
    """A flow between two processes; ``None`` or an unlisted end lies outside the system."""

    id: str
    source: str | None
    target: str | None
    value: float | None
    sd: float | None = None


@dataclass(frozen=True)
class StockInput:
    """A stock change of one process; it enters the balance like an outflow."""

    process: str
    value: float | None
    sd: float | None = None


@dataclass(frozen=True)
class FlowSystem:
    """Processes that must balance, with their flows and stock changes, in one unit."""

    processes: tuple[str, ...]
    flows: tuple[FlowInput, ...]
    stocks: tuple[StockInput, ...] = ()
    unit: str = "t"


@dataclass(frozen=True)
class Estimate:
    """A reconciled quantity. ``test`` is the normalised adjustment, ``None`` when untestable."""

    value: float | None
    sd: float | None
    measured: float | None
    adjustment: float | None
    flagged: bool
    test: float | None = None


@dataclass(frozen=True)
class Reconciliation:
    """The result: estimates in input order, undetermined quantities and the global test.

    ``critical_value`` is the measurement test's z_c for the ``tested`` quantities (those whose
    adjustment has a standard deviation); ``None`` when none can be tested.
    """

    unit: str
    flows: dict[str, Estimate]
    stocks: dict[str, Estimate]
    undetermined: tuple[tuple[str, str], ...]
    chi_square: float
    dof: int
    p_value: float
    consistent: bool
    critical_value: float | None = None
    tested: int = 0


def critical_value(tested: int, alpha: float = SIGNIFICANCE) -> float | None:
    """The Šidák-corrected two-sided critical value of the measurement test for ``tested`` z's.

    Testing m normalised adjustments at 1.96 each flags about 5 % of a consistent network, so
    each test runs at α' = 1 − (1 − α)^(1/m), which keeps the chance of any false flag at α
    (Narasimhan and Jordache 2000, ch. 7). ``None`` when nothing is tested.
    """
    if tested <= 0:
        return None
    # expm1/log1p keep α' exact when it is tiny (50,000 tests give about 1e-6).
    per_test = -np.expm1(np.log1p(-alpha) / tested)
    return float(norm.isf(per_test / 2))


def validate(system: FlowSystem) -> None:
    """Raise InputError for what the contract rejects, naming the record and the field.

    Beyond the contract's list: the unit must be a mass unit, flows must not be negative (a
    stock change may be) and no quantity may exceed 10⁹ t (mfa.masses).
    """
    check_unit("flows", system.unit)
    processes: set[str] = set()
    for p in system.processes:
        if p in processes:
            raise InputError(f"process '{p}'", "id", "duplicate process id")
        processes.add(p)
    ids: set[str] = set()
    for f in system.flows:
        record = f"flow '{f.id}'"
        if f.id in ids:
            raise InputError(record, "id", "duplicate flow id")
        ids.add(f.id)
        if f.source is not None and f.source == f.target:
            raise InputError(record, "to", f"flows from process '{f.source}' to itself")
        _check_measurement(record, "value", f.value, f.sd, system.unit, negative=False)
    stocked: set[str] = set()
    for s in system.stocks:
        record = f"stock '{s.process}'"
        if s.process not in processes:
            raise InputError(record, "process", "is not a listed process")
        if s.process in stocked:
            raise InputError(record, "process", "has more than one stock entry")
        stocked.add(s.process)
        _check_measurement(record, "change", s.value, s.sd, system.unit, negative=True)


def _check_measurement(
    record: str, value_field: str, value: float | None, sd: float | None, unit: str, negative: bool
) -> None:
    if value is not None:
        check_mass(record, value_field, value, unit, negative=negative)
    if sd is not None:
        if np.isfinite(sd) and sd < 0:
            raise InputError(record, "sd", "is negative")
        check_sd(record, sd, unit)
    if value is not None and sd is None:
        raise InputError(record, "sd", "a measured value needs a standard deviation")


class _Quantities:
    """Flows then stocks as arrays: each quantity carries mass from ``tail`` to ``head``.

    Node ``n`` (one past the last process) is the ground: everything outside the system, and
    the destination of stock changes, since a stock increase leaves the process like an outflow.
    """

    def __init__(self, system: FlowSystem):
        index = {p: i for i, p in enumerate(system.processes)}
        self.n = len(system.processes)
        ground = self.n
        tails = [index.get(f.source, ground) for f in system.flows]
        heads = [index.get(f.target, ground) for f in system.flows]
        tails += [index[s.process] for s in system.stocks]
        heads += [ground] * len(system.stocks)
        items = [*system.flows, *system.stocks]
        self.tail = np.array(tails, dtype=np.int64)
        self.head = np.array(heads, dtype=np.int64)
        self.value = np.array([np.nan if q.value is None else q.value for q in items], dtype=float)
        self.sd = np.array([0.0 if q.sd is None else q.sd for q in items], dtype=float)
        self.unmeasured = np.isnan(self.value)
        self.exact = ~self.unmeasured & (self.sd == 0)
        self.measured = ~self.unmeasured & (self.sd > 0)

    def residual(self, values: np.ndarray) -> np.ndarray:
        """Inflow minus outflow of every process (length n) for a full vector of values."""
        size = self.n + 1
        inflow = np.bincount(self.head, weights=values, minlength=size)
        outflow = np.bincount(self.tail, weights=values, minlength=size)
        return (inflow - outflow)[: self.n]


def reconcile(system: FlowSystem) -> Reconciliation:
    """Reconcile a flow system as the contract defines; see the module docstring for how.

    Raises InputError for malformed input and ContradictionError when exact quantities alone
    break a balance that no measured quantity can restore.
    """
    validate(system)
    q = _Quantities(system)
    names = [*system.processes]
    constraints = _Constraints(q, names)
    x = q.value[q.measured]
    var = q.sd[q.measured] ** 2
    # Overflow shows as inf or NaN in the result, which _check_finite refuses: no warnings.
    with np.errstate(all="ignore"):
        try:
            solve = constraints.solve(x, var)
            values = np.where(q.unmeasured, 0.0, q.value)
            values[q.measured] = solve.x_hat
            computed, computed_sd, undetermined = _unmeasured(q, values, constraints, solve, var)
        except np.linalg.LinAlgError:
            raise InputError("flows", "sd", _UNSTABLE) from None

    tested = sum(t is not None for t in solve.test)
    z_c = critical_value(tested)
    estimates: list[Estimate] = []
    measured_pos = np.cumsum(q.measured) - 1
    for k in range(len(q.value)):
        if q.exact[k]:
            estimates.append(Estimate(float(q.value[k]), 0.0, float(q.value[k]), 0.0, False))
        elif q.measured[k]:
            j = measured_pos[k]
            test = solve.test[j]
            estimates.append(
                Estimate(
                    float(solve.x_hat[j]),
                    float(np.sqrt(solve.var_hat[j])),
                    float(q.value[k]),
                    float(solve.x_hat[j] - q.value[k]),
                    bool(test is not None and z_c is not None and test > z_c),
                    test,
                )
            )
        elif k in undetermined:
            estimates.append(Estimate(None, None, None, None, False))
        else:
            estimates.append(Estimate(computed[k], computed_sd[k], None, None, False))
    labels = _labels(system)
    _check_finite(estimates, solve.chi_square, labels)
    _check_balanced(q, estimates, names)
    n_flows = len(system.flows)
    flows = {f.id: e for f, e in zip(system.flows, estimates[:n_flows], strict=True)}
    stocks = {s.process: e for s, e in zip(system.stocks, estimates[n_flows:], strict=True)}
    dof = solve.dof
    p_value = float(chi2.sf(solve.chi_square, dof)) if dof > 0 else 1.0
    return Reconciliation(
        unit=system.unit,
        flows=flows,
        stocks=stocks,
        undetermined=tuple(labels[k] for k in sorted(undetermined)),
        chi_square=solve.chi_square if dof > 0 else 0.0,
        dof=dof,
        p_value=p_value,
        consistent=p_value >= SIGNIFICANCE,
        critical_value=z_c,
        tested=tested,
    )


_UNSTABLE = (
    "standard deviations too many orders of magnitude apart for an accurate solution; "
    "write sd 0 for an exact value instead of a tiny sd"
)


def _labels(system: FlowSystem) -> list[tuple[str, str]]:
    return [("flow", f.id) for f in system.flows] + [("stock", s.process) for s in system.stocks]


def _check_finite(estimates: list[Estimate], chi_square: float, labels) -> None:
    """Refuse to return infinities or NaN: standard deviations many orders of magnitude apart
    can overflow the solution even when every input is in range."""
    for e, (kind, name) in zip(estimates, labels, strict=True):
        numbers = (e.value, e.sd, e.adjustment, e.test)
        if any(v is not None and not np.isfinite(v) for v in numbers):
            raise InputError(f"{kind} '{name}'", "sd", _UNSTABLE)
    if not np.isfinite(chi_square):
        raise InputError("flows", "sd", _UNSTABLE)


#: A reconciled balance may miss zero by this fraction of the mass through it (rounding only).
BALANCE_TOLERANCE = 1e-6


def _check_balanced(q: _Quantities, estimates: list[Estimate], names: list[str]) -> None:
    """Refuse a result whose balances do not close: rounding in a solve whose standard
    deviations lie many orders of magnitude apart can leave one, and it must not be printed
    as if it were the reconciliation."""
    values = np.array([np.nan if e.value is None else e.value for e in estimates], dtype=float)
    blind = np.isnan(values)
    known = np.where(blind, 0.0, values)
    size = q.n + 1
    touched = np.bincount(q.head[blind], minlength=size) + np.bincount(
        q.tail[blind], minlength=size
    )
    through = np.bincount(q.head, weights=np.abs(known), minlength=size)[: q.n]
    residual = np.abs(q.residual(known))
    bad = np.flatnonzero(
        (touched[: q.n] == 0) & (residual > BALANCE_TOLERANCE * np.maximum(through, 1.0))
    )
    if len(bad):
        raise InputError(f"process '{names[bad[0]]}'", "balance", _UNSTABLE)


@dataclass
class _Solve:
    x_hat: np.ndarray
    var_hat: np.ndarray
    test: list[float | None]
    chi_square: float
    dof: int
    multipliers: np.ndarray


class _Constraints:
    """The reduced constraints M·x̂ + c = 0 left after eliminating the unmeasured quantities."""

    def __init__(self, q: _Quantities, names: list[str]):
        ground = q.n
        um = np.flatnonzero(q.unmeasured)
        graph = sp.coo_matrix(
            (np.ones(len(um)), (q.tail[um], q.head[um])), shape=(q.n + 1, q.n + 1)
        )
        n_comp, label = connected_components(graph, directed=False)
        free = np.ones(n_comp, dtype=bool)
        free[label[ground]] = False
        row_of_label = np.full(n_comp, -1)
        row_of_label[free] = np.arange(int(free.sum()))
        row = row_of_label[label]
        n_rows = int(free.sum())

        rt, rh = row[q.tail], row[q.head]
        internal = rt == rh
        rt, rh = np.where(internal, -1, rt), np.where(internal, -1, rh)
        ex = q.exact
        c = _signed_sum(rh[ex], rt[ex], q.value[ex], n_rows)
        scale = _signed_sum(rh[ex], rt[ex], np.abs(q.value[ex]), n_rows, sign=1.0)

        # Components of the contracted graph of measured quantities; ground is node n_rows.
        me = q.measured
        mt = np.where(rt[me] < 0, n_rows, rt[me])
        mh = np.where(rh[me] < 0, n_rows, rh[me])
        contracted = sp.coo_matrix((np.ones(len(mt)), (mt, mh)), shape=(n_rows + 1, n_rows + 1))
        _, cc = connected_components(contracted, directed=False)
        floating = cc[:n_rows] != cc[n_rows]
        _check_floating(cc[:n_rows], floating, c, scale, row, names)
        # A floating component's rows sum to the check above: drop one row of each.
        keep = np.ones(n_rows, dtype=bool)
        ccf = cc[:n_rows][floating]
        first = np.unique(ccf, return_index=True)[1]
        keep[np.flatnonzero(floating)[first]] = False
        new_row = np.full(n_rows + 1, -1)
        new_row[:n_rows][keep] = np.arange(int(keep.sum()))
        self.dof = int(keep.sum())

        cols = np.arange(int(me.sum()))
        self.head_row = new_row[np.where(rh[me] < 0, n_rows, rh[me])]
        self.tail_row = new_row[np.where(rt[me] < 0, n_rows, rt[me])]
        self.c = c[keep]
        self.M = _incidence(self.head_row, self.tail_row, cols, self.dof)
        # Blocks of S: components of the kept rows joined by measured quantities.
        both = (self.head_row >= 0) & (self.tail_row >= 0)
        links = sp.coo_matrix(
            (np.ones(int(both.sum())), (self.head_row[both], self.tail_row[both])),
            shape=(self.dof, self.dof),
        )
        self.n_blocks, self.block = connected_components(links, directed=False)

    def solve(self, x: np.ndarray, var: np.ndarray) -> _Solve:
        """Apply x̂ = x − Σ Mᵀ S⁻¹ r block by block; S is regular once redundant rows are gone."""
        M = self.M
        r = M @ x + self.c
        S = (M @ sp.diags(var) @ M.T).tocsr()
        lam = np.zeros(self.dof)
        order = np.argsort(self.block, kind="stable")
        bounds = np.searchsorted(self.block[order], np.arange(self.n_blocks + 1))
        self.inverses: list[tuple[np.ndarray, DenseInverse | SparseInverse]] = []
        pos = np.zeros(self.dof, dtype=np.int64)
        for b in range(self.n_blocks):
            rows = order[bounds[b] : bounds[b + 1]]
            pos[rows] = np.arange(len(rows))
            inverse = selected_inverse(S[rows][:, rows])
            lam[rows] = inverse.solve(r[rows])
            self.inverses.append((rows, inverse))
        self.pos = pos
        x_hat = x - var * (M.T @ lam)
        quad = self.selected_quadratic(self.head_row, self.tail_row)
        shrink = var * var * quad
        var_hat = np.maximum(var - shrink, 0.0)
        denom = np.sqrt(np.maximum(shrink, 0.0))
        sd = np.sqrt(var)
        test: list[float | None] = [
            float(abs(a) / d) if d > 1e-9 * s else None
            for a, d, s in zip((x_hat - x).tolist(), denom.tolist(), sd.tolist(), strict=True)
        ]
        return _Solve(x_hat, var_hat, test, float(r @ lam), self.dof, lam)

    def selected_quadratic(self, head_row: np.ndarray, tail_row: np.ndarray) -> np.ndarray:
        """mᵀ S⁻¹ m for incidence columns m (+1 at head_row, −1 at tail_row, −1 = absent)."""
        quad = np.zeros(len(head_row))
        if self.dof == 0:
            return quad
        blocks = np.where(head_row >= 0, self.block[np.maximum(head_row, 0)], -1)
        from_tail = np.where(tail_row >= 0, self.block[np.maximum(tail_row, 0)], -1)
        blocks = np.where(blocks < 0, from_tail, blocks)
        for b, (_, inverse) in enumerate(self.inverses):
            sel = np.flatnonzero(blocks == b)
            h, t = head_row[sel], tail_row[sel]
            hp, tp = self.pos[np.maximum(h, 0)], self.pos[np.maximum(t, 0)]
            has_h, has_t = h >= 0, t >= 0
            value = np.where(has_h, inverse.entries(hp, hp), 0.0)
            value += np.where(has_t, inverse.entries(tp, tp), 0.0)
            value -= np.where(has_h & has_t, 2.0 * inverse.entries(hp, tp), 0.0)
            quad[sel] = value
        return quad

    def quadratic_forms(self, H: sp.csr_matrix) -> np.ndarray:
        """diag(Hᵀ S⁻¹ H) for a sparse H with one row per kept constraint."""
        out = np.zeros(H.shape[1])
        for rows, inverse in self.inverses:
            out += inverse.quadratic(H[rows])
        return out


def _signed_sum(heads, tails, weights, size, sign=-1.0):
    """Σ weights at head rows plus ``sign`` × Σ weights at tail rows (rows < 0 skipped)."""
    h, t = heads >= 0, tails >= 0
    return np.bincount(heads[h], weights=weights[h], minlength=size) + sign * np.bincount(
        tails[t], weights=weights[t], minlength=size
    )


def _incidence(head_row, tail_row, cols, n_rows) -> sp.csr_matrix:
    h, t = head_row >= 0, tail_row >= 0
    data = np.concatenate([np.ones(int(h.sum())), -np.ones(int(t.sum()))])
    rows = np.concatenate([head_row[h], tail_row[t]])
    columns = np.concatenate([cols[h], cols[t]])
    return sp.csr_matrix((data, (rows, columns)), shape=(n_rows, len(cols)))


def _check_floating(cc, floating, c, scale, row, names) -> None:
    """A group of balances that no measured quantity reaches must hold on exact values alone."""
    if not floating.any():
        return
    ids = cc[floating]
    labels, inverse = np.unique(ids, return_inverse=True)
    total = np.bincount(inverse, weights=c[floating], minlength=len(labels))
    size = np.bincount(inverse, weights=scale[floating], minlength=len(labels))
    bad = np.flatnonzero(np.abs(total) > EXACT_TOLERANCE * size)
    if len(bad) == 0:
        return
    rows_in_bad = np.flatnonzero(floating)[inverse == bad[0]]
    members = [names[i] for i in np.flatnonzero(np.isin(row, rows_in_bad))]
    raise ContradictionError(
        f"process '{members[0]}'",
        "balance",
        f"exact quantities leave {total[bad[0]]:g} unbalanced and nothing measured can adjust "
        f"it ({len(members)} process(es) involved: {', '.join(members[:5])})",
    )


def _unmeasured(q: _Quantities, values, constraints: _Constraints, solve: _Solve, var):
    """Compute the unmeasured quantities that are bridges; list the others as undetermined."""
    um = np.flatnonzero(q.unmeasured)
    computed: dict[int, float] = {}
    computed_sd: dict[int, float] = {}
    if len(um) == 0:
        return computed, computed_sd, set()
    forest = BridgeForest(q.n + 1, q.tail[um], q.head[um], root_hint=q.n)
    undetermined = {int(um[e]) for e in np.flatnonzero(~forest.is_bridge)}
    residual = q.residual(values)
    per_group = np.bincount(forest.group[: q.n], weights=residual, minlength=forest.n_groups)
    sums = forest.subtree_sums(per_group)
    child_groups = np.flatnonzero(forest.parent_edge >= 0)
    if len(child_groups) == 0:
        return computed, computed_sd, undetermined
    edges = forest.parent_edge[child_groups]
    # beta: +1 when the bridge's head lies in the child subtree, -1 when its tail does.
    beta = np.where(forest.group[q.head[um[edges]]] == child_groups, 1.0, -1.0)
    y = -beta * sums[child_groups]

    # Gradient of each y with respect to the measured quantities: -beta × Σ_subtree A.
    bridge_of_group = np.full(forest.n_groups, -1)
    bridge_of_group[child_groups] = np.arange(len(child_groups))
    chains = forest.ancestor_bridges()
    t_rows, t_cols = [], []
    for i, g in enumerate(forest.group[: q.n].tolist()):
        for u in chains[g]:
            t_rows.append(bridge_of_group[u])
            t_cols.append(i)
    t_rows_a = np.array(t_rows, dtype=np.int64)
    T = sp.csr_matrix(
        (-beta[t_rows_a], (t_rows_a, np.array(t_cols, dtype=np.int64))),
        shape=(len(child_groups), q.n),
    )
    me = np.flatnonzero(q.measured)
    A = _incidence(
        np.where(q.head[me] < q.n, q.head[me], -1),
        np.where(q.tail[me] < q.n, q.tail[me], -1),
        np.arange(len(me)),
        q.n,
    )
    G = (T @ A).tocsr()
    direct = np.asarray(G.multiply(G) @ var).ravel()
    H = (constraints.M @ sp.diags(var) @ G.T).tocsr()
    correction = constraints.quadratic_forms(H)
    sd = np.sqrt(np.maximum(direct - correction, 0.0))
    for k, value, s in zip(um[edges].tolist(), y.tolist(), sd.tolist(), strict=True):
        computed[k] = value
        computed_sd[k] = s
    return computed, computed_sd, undetermined
