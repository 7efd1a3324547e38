"""The compiled loops of `_kernels.c`, called through ctypes with numpy arrays.

The library is built with the package (an extension module of `pyproject.toml`) and found as
the module `mfa.matching._kernels`; loading it takes about a millisecond, where numba spent
about 0.45 s of every process on its start-up before the first cached kernel ran. Where it was
not built (no C compiler when the package was installed), `available()` is false and the engine
solves with HiGHS instead: slower, with the same answer and the same certificate.
"""

from __future__ import annotations

import ctypes
import importlib.util

import numpy as np

_I64 = ctypes.c_int64
_F64 = ctypes.c_double


def _library() -> ctypes.CDLL | None:
    spec = importlib.util.find_spec("mfa.matching._kernels")
    if spec is None or spec.origin is None or not spec.origin.endswith((".so", ".pyd")):
        return None
    try:
        lib = ctypes.CDLL(spec.origin)
    except OSError:
        return None
    ptr = ctypes.c_void_p
    lib.network_simplex.restype = _I64
    lib.network_simplex.argtypes = [_I64, _I64, *[ptr] * 14, _F64, _I64, _I64]
    lib.price_pairs.restype = None
    lib.price_pairs.argtypes = [_I64, ptr, ptr, ptr, ptr, ptr, ptr, _F64, ptr, _I64, *[ptr] * 4]
    lib.eligible_block.restype = _I64
    lib.eligible_block.argtypes = [_I64, ptr, _I64, *[ptr] * 7, _F64, _F64, _F64, _I64, _I64,
                                   *[ptr] * 8]  # fmt: skip
    return lib


_LIB = _library()


def available() -> bool:
    """Whether the compiled loops were built with this installation."""
    return _LIB is not None


def _ptr(array: np.ndarray, dtype: type) -> int:
    """The data address of a C-contiguous array of exactly `dtype`; anything else is a bug in
    the caller, which must never be papered over by a silent copy the C code would not see."""
    if array.dtype != dtype or not array.flags.c_contiguous:
        expected = np.dtype(dtype)
        raise TypeError(f"kernel argument must be C-contiguous {expected}, got {array.dtype}")
    return array.ctypes.data


def network_simplex(
    arcs: tuple[np.ndarray, ...],
    tree: tuple[np.ndarray, ...],
    m: int,
    state: np.ndarray,
    eps: float,
    limit: int,
    block: int,
) -> tuple[int, bool]:
    """Pivot until no arc prices below -eps: (pivots, finished). `arcs` is (src, tgt, cost,
    flow, dead, basic), `tree` is (pi, parent, pedge, size, nxt, prv, last); both change."""
    src, tgt, cost, flow, dead, basic = arcs
    pi, parent, pedge, size, nxt, prv, last = tree
    result = _LIB.network_simplex(
        len(pi), m, _ptr(src, np.int64), _ptr(tgt, np.int64), _ptr(cost, np.float64),
        _ptr(flow, np.float64), _ptr(dead, np.bool_), _ptr(basic, np.bool_),
        _ptr(pi, np.float64), _ptr(parent, np.int64), _ptr(pedge, np.int64),
        _ptr(size, np.int64), _ptr(nxt, np.int64), _ptr(prv, np.int64), _ptr(last, np.int64),
        _ptr(state, np.int64), eps, limit, block,
    )  # fmt: skip
    return (result, True) if result >= 0 else (-1 - result, False)


def price_pairs(
    net: np.ndarray,
    offer: np.ndarray,
    demand: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    in_lp: np.ndarray,
    tol: float,
    excess: np.ndarray,
    best: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Fill `excess` and `best` = (offer_best, offer_val, demand_best, demand_val), see C."""
    offer_best, offer_val, demand_best, demand_val = best
    _LIB.price_pairs(
        len(net), _ptr(net, np.float64), _ptr(offer, np.int32), _ptr(demand, np.int32),
        _ptr(u, np.float64), _ptr(v, np.float64), _ptr(in_lp, np.bool_), tol,
        _ptr(excess, np.float64), offer_best.shape[1], _ptr(offer_best, np.int64),
        _ptr(offer_val, np.float64), _ptr(demand_best, np.int64), _ptr(demand_val, np.float64),
    )  # fmt: skip


def eligible_block(
    offers: np.ndarray,
    demands: np.ndarray,
    points: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    limits: tuple[np.ndarray, np.ndarray],
    value: tuple[float, float, float],
    seeds: tuple[int, int, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The eligible pairs of one material between `offers` and `demands` (see the C comment):
    (offer, demand, net per tonne, seed). `points` is (offer_xyz, demand_xyz, offer_company,
    demand_company) over all offers and demands; `limits` is (chord2 limit per column of this
    block, max km per demand); `value` is (benefit, transport, km_scale); `seeds` is (k, base,
    col_dist, col_pair), the last two carried across calls of one block."""
    offer_xyz, demand_xyz, offer_company, demand_company = points
    chord2_limit, max_km = limits
    benefit, transport, km_scale = value
    k, base, col_dist, col_pair = seeds
    room = len(offers) * len(demands)
    out_o, out_d = np.empty(room, dtype=np.int32), np.empty(room, dtype=np.int32)
    out_net, out_seed = np.empty(room), np.empty(room, dtype=np.bool_)
    row_dist, row_pair = np.empty(max(k, 1)), np.empty(max(k, 1), dtype=np.int64)
    count = _LIB.eligible_block(
        len(offers), _ptr(offers, np.int32), len(demands), _ptr(demands, np.int32),
        _ptr(offer_xyz, np.float64), _ptr(demand_xyz, np.float64),
        _ptr(offer_company, np.int32), _ptr(demand_company, np.int32),
        _ptr(chord2_limit, np.float64), _ptr(max_km, np.float64), benefit, transport, km_scale,
        k, base, _ptr(out_o, np.int32), _ptr(out_d, np.int32), _ptr(out_net, np.float64),
        _ptr(out_seed, np.bool_), _ptr(col_dist, np.float64), _ptr(col_pair, np.int64),
        _ptr(row_dist, np.float64), _ptr(row_pair, np.int64),
    )  # fmt: skip
    # Copies, so the buffers' unused room goes back at once.
    return tuple(out[:count].copy() for out in (out_o, out_d, out_net, out_seed))
