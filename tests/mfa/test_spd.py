"""Selected inversion gives exactly the entries of S⁻¹ that reconciliation asks for."""

import numpy as np
import pytest
import scipy.sparse as sp

from mfa.spd import DenseInverse, SparseInverse


def laplacian_like(n, seed):
    # A grounded weighted graph Laplacian, the shape S = M Σ Mᵀ takes in reconciliation.
    rng = np.random.default_rng(seed)
    edges = rng.integers(0, n, size=(3 * n, 2))
    edges = edges[edges[:, 0] != edges[:, 1]]
    w = rng.uniform(0.1, 10, len(edges))
    S = sp.coo_matrix((w, (edges[:, 0], edges[:, 1])), shape=(n, n))
    S = S + S.T
    S = sp.diags(np.asarray(S.sum(axis=1)).ravel() + rng.uniform(0.01, 1, n)) - S
    return sp.csc_matrix(S)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sparse_inverse_matches_dense(seed):
    S = laplacian_like(300, seed)
    dense = np.linalg.inv(S.toarray())
    inverse = SparseInverse(S, max_fill=1.0)
    coo = sp.coo_matrix(S)
    np.testing.assert_allclose(inverse.entries(coo.row, coo.col), dense[coo.row, coo.col],
                               rtol=1e-9, atol=1e-12)  # fmt: skip
    H = sp.random(300, 40, density=0.05, random_state=seed, format="csc")
    expected = np.einsum("ij,ij->j", H.toarray(), dense @ H.toarray())
    np.testing.assert_allclose(inverse.quadratic(H), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(DenseInverse(S.toarray()).quadratic(H), expected, rtol=1e-9)
    r = np.arange(300.0)
    np.testing.assert_allclose(inverse.solve(r), dense @ r, rtol=1e-9)


def test_dense_inverse_equals_lapack_dpotri_on_a_small_matrix():
    """S⁻¹ comes from dpotrs(factor, I) instead of dpotri (which spins OpenBLAS threads):
    on a 3 × 3 S both give the inverse computed by hand, and agree to rounding."""
    from scipy.linalg import lapack

    S = np.array([[4.0, 2.0, 0.0], [2.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
    # det S = 4 (6 - 1) - 2 (4 - 0) = 12; the adjugate over 12:
    by_hand = np.array([[5.0, -4.0, 2.0], [-4.0, 8.0, -4.0], [2.0, -4.0, 8.0]]) / 12
    factor = lapack.dpotrf(S, lower=1)[0]
    old = lapack.dpotri(factor, lower=1)[0]
    old = np.tril(old) + np.tril(old, -1).T
    new = DenseInverse(S).inverse
    np.testing.assert_allclose(new, by_hand, rtol=1e-14)
    np.testing.assert_allclose(new, old, rtol=1e-14, atol=1e-16)
    assert np.array_equal(new, new.T)
