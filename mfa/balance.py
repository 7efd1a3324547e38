"""Mass balance per process: inputs − outputs − stock change, and the batches behind it.

A custody chain that loses mass somewhere shows it here first: every process whose balance does
not close is listed with the size of the gap and the batch ids of the flows that touch it, so a
park manager can open exactly those batches (flodym's check_mass_balance plays the same role).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mfa.model import BOUNDARY, Flow, Stock


@dataclass(frozen=True)
class Balance:
    """The balance of one process (and material, or "*" for all) over the flows' period."""

    process: str
    material: str
    inputs_kg: float
    outputs_kg: float
    stock_change_kg: float
    batch_ids: tuple[str, ...]

    @property
    def imbalance_kg(self) -> float:
        """Inputs − outputs − stock change: zero when the process balances."""
        return self.inputs_kg - self.outputs_kg - self.stock_change_kg

    @property
    def relative(self) -> float:
        """The imbalance as a share of the larger of inputs and outputs (0 when both are 0)."""
        size = max(self.inputs_kg, self.outputs_kg + max(self.stock_change_kg, 0.0))
        return abs(self.imbalance_kg) / size if size > 0 else 0.0


def mass_balances(
    flows: Iterable[Flow], stocks: Iterable[Stock] = (), by_material: bool = False
) -> list[Balance]:
    """Balances of every non-boundary node, sorted by process (and material).

    With ``by_material`` each material balances on its own, which is what custody requires
    (a tonne of slag does not make up for a missing tonne of solvent); otherwise all materials
    are summed, which is what a park-level Sankey shows.
    """
    totals: dict[tuple[str, str], list] = {}

    def entry(process: str, material: str) -> list:
        key = (process, material if by_material else "*")
        return totals.setdefault(key, [0.0, 0.0, 0.0, {}])

    for f in flows:
        if f.target not in BOUNDARY:
            e = entry(f.target, f.material)
            e[0] += f.mass_kg
            e[3].update(dict.fromkeys(f.batch_ids))
        if f.source not in BOUNDARY:
            e = entry(f.source, f.material)
            e[1] += f.mass_kg
            e[3].update(dict.fromkeys(f.batch_ids))
    for s in stocks:
        entry(s.process, s.material)[2] += s.change_kg
    return [
        Balance(process, material, i, o, st, tuple(ids))
        for (process, material), (i, o, st, ids) in sorted(totals.items())
    ]


def unbalanced(balances: Iterable[Balance], tolerance: float = 0.01) -> list[Balance]:
    """The balances whose relative imbalance exceeds ``tolerance``, largest gap first."""
    found = [b for b in balances if b.relative > tolerance]
    return sorted(found, key=lambda b: -abs(b.imbalance_kg))
