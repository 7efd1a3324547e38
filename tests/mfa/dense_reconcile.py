"""A dense reference for reconciliation: the spec's formulas with numpy pinv and null_space.

Slow and exact on small systems, so the sparse engine in mfa.reconcile is checked against it.
"""

import numpy as np
from scipy.linalg import null_space

from mfa.reconcile import FlowSystem


def dense_reconcile(system: FlowSystem) -> dict:
    """Return the spec's quantities computed literally; ``solvable`` False when no x̂ balances."""
    index = {p: i for i, p in enumerate(system.processes)}
    n = len(system.processes)
    items = [*system.flows, *system.stocks]
    K = np.zeros((n, len(items)))
    for k, f in enumerate(system.flows):
        if f.target in index:
            K[index[f.target], k] += 1
        if f.source in index:
            K[index[f.source], k] -= 1
    for k, s in enumerate(system.stocks, start=len(system.flows)):
        K[index[s.process], k] -= 1
    unmeasured = np.array([q.value is None for q in items], dtype=bool)
    exact = np.array([q.value is not None and q.sd == 0 for q in items], dtype=bool)
    measured = ~unmeasured & ~exact
    values = np.array([0.0 if q.value is None else q.value for q in items])
    sd = np.array([0.0 if q.sd is None else q.sd for q in items])
    A, B = K[:, measured], K[:, unmeasured]
    c = K[:, exact] @ values[exact]
    P = null_space(B.T).T if B.shape[1] else np.eye(n)
    M = P @ A
    # null_space leaves round-off of 1e-17 where P·A is exactly zero; pinv would invert it.
    M[np.abs(M) < 1e-10] = 0.0
    x = values[measured]
    Sigma = np.diag(sd[measured] ** 2)
    S = M @ Sigma @ M.T
    Sp = np.linalg.pinv(S, rcond=1e-10, hermitian=True)
    r = M @ x + P @ c
    x_hat = x - Sigma @ M.T @ Sp @ r
    cov_hat = Sigma - Sigma @ M.T @ Sp @ M @ Sigma
    solvable = bool(np.allclose(M @ x_hat + P @ c, 0, atol=1e-7 * (1 + np.abs(values).sum())))
    dof = int(np.linalg.matrix_rank(M, tol=1e-9)) if M.size else 0
    Bp = np.linalg.pinv(B, rcond=1e-10) if B.shape[1] else np.zeros((0, n))
    y = Bp @ -(A @ x_hat + c)
    cov_y = Bp @ A @ cov_hat @ A.T @ Bp.T
    N = null_space(B) if B.shape[1] else np.zeros((0, 0))
    undetermined = np.abs(N).max(axis=1) > 1e-8 if N.size else np.zeros(B.shape[1], dtype=bool)
    # The measurement test, literally: z = |x̂ − x| / sqrt(sd² − sd̂²) where that is > 1e-9 sd.
    denom = np.sqrt(np.clip(np.diag(Sigma) - np.diag(cov_hat), 0, None))
    sd_m = sd[measured]
    z = [
        float(abs(a) / d) if d > 1e-9 * s else None
        for a, d, s in zip(x_hat - x, denom, sd_m, strict=True)
    ]
    return {
        "z": z,
        "x_hat": x_hat,
        "sd_hat": np.sqrt(np.clip(np.diag(cov_hat), 0, None)),
        "y": y,
        "sd_y": np.sqrt(np.clip(np.diag(cov_y), 0, None)),
        "undetermined": undetermined,
        "chi_square": float(r @ Sp @ r) if dof else 0.0,
        "dof": dof,
        "solvable": solvable,
        "measured": measured,
        "unmeasured": unmeasured,
    }
