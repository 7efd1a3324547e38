"""Selected entries of the inverse of a sparse symmetric positive definite matrix.

Reconciliation needs S⁻¹ only where S itself has entries (the variance of each reconciled flow
involves the two balances it enters) plus a few quadratic forms. A full dense inverse of a
5,000 × 5,000 S costs n³ and several seconds; a sparse LDLᵀ factorisation with a fill-reducing
ordering followed by the Takahashi recurrences (Takahashi, Fagan and Chen 1973; Erisman and
Tinney 1975) gives exactly the entries of S⁻¹ on the pattern of the factor, which contains the
pattern of S, at roughly the cost of the factorisation. Small or badly filling matrices use the
dense inverse, which is then as fast.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl
from scipy.linalg import lapack

#: Below this size a dense inverse costs milliseconds; the sparse route is not worth it.
DENSE_BELOW = 1500
#: Above this share of a full triangle, the factor is too dense for the sparse route to pay.
DENSE_FILL = 0.15


class DenseInverse:
    """S⁻¹ held in full; for small blocks and as the fallback."""

    def __init__(self, S: np.ndarray):
        factor, info = lapack.dpotrf(S, lower=1, overwrite_a=0)
        if info != 0:
            raise np.linalg.LinAlgError("constraint covariance is not positive definite")
        # S⁻¹ by solving S X = I with the factor (dpotrs), not with dpotri: OpenBLAS runs its
        # own dpotri on worker threads even for a 30 × 30 S, and those threads then spin for
        # about 100 ms of CPU after every call, more than the whole rest of a reconciliation.
        inv, info = lapack.dpotrs(factor, np.eye(S.shape[0]), lower=1)
        self.inverse = np.tril(inv) + np.tril(inv, -1).T

    def solve(self, r: np.ndarray) -> np.ndarray:
        return self.inverse @ r

    def entries(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """S⁻¹[a, b], elementwise; any pairs."""
        return self.inverse[a, b]

    def quadratic(self, H: sp.spmatrix) -> np.ndarray:
        """diag(Hᵀ S⁻¹ H) for a sparse H."""
        Ht = sp.csr_matrix(H.T)
        out = np.zeros(Ht.shape[0])
        for start in range(0, Ht.shape[0], 1024):
            chunk = Ht[start : start + 1024]
            if chunk.nnz:
                product = chunk @ self.inverse
                out[start : start + chunk.shape[0]] = np.asarray(
                    chunk.multiply(product).sum(axis=1)
                ).ravel()
        return out


class SparseInverse:
    """S = Pᵀ L D Lᵀ P from SuperLU in symmetric mode, with S⁻¹ on the pattern of L.

    Entries off that pattern are not computed; ``entries`` may only be asked for pairs that
    are entries of S or on its diagonal.
    """

    def __init__(self, S: sp.csc_matrix, max_fill: float | None = None):
        n = S.shape[0]
        max_fill = DENSE_FILL if max_fill is None else max_fill
        self.lu = spl.splu(
            S,
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
        if not np.array_equal(self.lu.perm_r, self.lu.perm_c):
            raise np.linalg.LinAlgError("pivoting broke the symmetric factorisation")
        if self.lu.L.nnz > max_fill * n * (n + 1) / 2:
            raise np.linalg.LinAlgError("the factor fills in; a dense inverse is as fast")
        self.position = self.lu.perm_c  # row a of S is row position[a] of L
        L = sp.csc_matrix(self.lu.L)
        self.L = sp.csr_matrix(L)
        self.d = self.lu.U.diagonal()
        if np.any(self.d <= 0):
            raise np.linalg.LinAlgError("constraint covariance is not positive definite")
        Z = np.zeros((n, n))
        indptr, indices, data = L.indptr, L.indices, L.data
        for j in range(n - 1, -1, -1):
            lo, hi = indptr[j], indptr[j + 1]
            rows, vals = indices[lo:hi], data[lo:hi]
            below = rows > j
            idx, v = rows[below], vals[below]
            if len(idx):
                column = -(Z[np.ix_(idx, idx)] @ v)
                Z[idx, j] = column
                Z[j, idx] = column
                Z[j, j] = 1.0 / self.d[j] - v @ column
            else:
                Z[j, j] = 1.0 / self.d[j]
        self.Z = Z
        self._check(S)

    def _check(self, S: sp.csc_matrix) -> None:
        """Compare one full column with a direct solve: the recurrence relies on the factor
        keeping its symbolic pattern, and a silently dropped entry must not go unnoticed."""
        n = S.shape[0]
        for a in {0, n // 2, n - 1}:
            e = np.zeros(n)
            e[a] = 1.0
            exact = self.lu.solve(e)
            pattern = np.flatnonzero(S[:, [a]].toarray().ravel())
            got = self.Z[self.position[pattern], self.position[a]]
            if not np.allclose(got, exact[pattern], rtol=1e-7, atol=1e-12 * np.abs(exact).max()):
                raise np.linalg.LinAlgError("selected inversion disagrees with a direct solve")

    def solve(self, r: np.ndarray) -> np.ndarray:
        return self.lu.solve(r)

    def entries(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self.Z[self.position[a], self.position[b]]

    def quadratic(self, H: sp.spmatrix) -> np.ndarray:
        """diag(Hᵀ S⁻¹ H) = Σ (L⁻¹ P h)² / d, by forward substitution in chunks."""
        H = sp.csc_matrix(H)
        inverse_position = np.argsort(self.position)
        out = np.zeros(H.shape[1])
        for start in range(0, H.shape[1], 256):
            chunk = H[:, start : start + 256]
            if chunk.nnz == 0:
                continue
            rhs = chunk[inverse_position].toarray()
            y = spl.spsolve_triangular(self.L, rhs, lower=True, unit_diagonal=True)
            out[start : start + chunk.shape[1]] = (y * y / self.d[:, None]).sum(axis=0)
        return out


def selected_inverse(S: sp.spmatrix) -> DenseInverse | SparseInverse:
    """The cheaper exact representation of S⁻¹ for this S."""
    n = S.shape[0]
    if n < DENSE_BELOW:
        return DenseInverse(S.toarray())
    try:
        return SparseInverse(sp.csc_matrix(S))
    except np.linalg.LinAlgError:
        return DenseInverse(S.toarray())
