/*
 * The matching engine's three loops, in C: which pairs are eligible, the network simplex of the
 * restricted problem, and the pricing of every eligible pair. Python calls them through ctypes (mfa/matching/kernels.py)
 * with numpy arrays; nothing here allocates what Python reads back.
 *
 * Why C and not numba: numba loads cached machine code only after building its whole typing
 * and lowering registry (it imports scipy.linalg for BLAS on the way), about 0.45 s of every
 * process, which is most of what a 2,000 x 2,000 park takes; a shared library loads in a
 * millisecond.
 *
 * The pivot rules, the thread bookkeeping and the block search are adapted from NetworkX's
 * network_simplex (networkx/algorithms/flow/networksimplex.py), which carries this notice:
 *
 * Copyright (c) 2004-2025, NetworkX Developers
 * Aric Hagberg <hagberg@lanl.gov>
 * Dan Schult <dschult@colgate.edu>
 * Pieter Swart <swart@lanl.gov>
 * All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are
 * met:
 *
 * * Redistributions of source code must retain the above copyright
 * notice, this list of conditions and the following disclaimer.
 *
 * * Redistributions in binary form must reproduce the above
 * copyright notice, this list of conditions and the following
 * disclaimer in the documentation and/or other materials provided
 * with the distribution.
 *
 * * Neither the name of the NetworkX Developers nor the names of its
 * contributors may be used to endorse or promote products derived
 * from this software without specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
 * "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
 * LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
 * A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
 * OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
 * SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
 * LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
 * DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
 * THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
 * (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

typedef int64_t i64;

/* The tree: parent, arc to parent, subtree size, and the thread (depth-first order) as a
 * doubly linked list with each node's last descendant. */
typedef struct {
    i64 *parent, *pedge, *size, *nxt, *prv, *last;
} Tree;

/* The lowest common ancestor of p and q (subtree sizes grow towards the root). */
static i64 apex_of(i64 p, i64 q, const Tree *t) {
    i64 size_p = t->size[p], size_q = t->size[q];
    for (;;) {
        while (size_p < size_q) {
            p = t->parent[p];
            size_p = t->size[p];
        }
        while (size_p > size_q) {
            q = t->parent[q];
            size_q = t->size[q];
        }
        if (p == q) return p;
        if (size_p == size_q) {
            p = t->parent[p];
            size_p = t->size[p];
            q = t->parent[q];
            size_q = t->size[q];
        }
    }
}

/* The nodes from x up to (not including) apex and the tree arcs above them; their count. */
static i64 path_up(i64 x, i64 apex, const Tree *t, i64 *nodes, i64 *edges) {
    i64 n = 0;
    while (x != apex) {
        nodes[n] = x;
        edges[n] = t->pedge[x];
        n++;
        x = t->parent[x];
    }
    return n;
}

/* Cut the tree arc between s and its child c. */
static void remove_edge(i64 s, i64 c, Tree *t) {
    i64 size_c = t->size[c], prev_c = t->prv[c], last_c = t->last[c];
    i64 next_last_c = t->nxt[last_c];
    t->parent[c] = -1;
    t->pedge[c] = -1;
    t->nxt[prev_c] = next_last_c;
    t->prv[next_last_c] = prev_c;
    t->nxt[last_c] = c;
    t->prv[c] = last_c;
    while (s != -1) {
        t->size[s] -= size_c;
        if (t->last[s] == last_c) t->last[s] = prev_c;
        s = t->parent[s];
    }
}

/* Re-hang q's (cut-off) subtree from q; `anc` is scratch room for the path to its root. */
static void make_root(i64 q, Tree *t, i64 *anc) {
    i64 count = 0;
    for (i64 x = q; x != -1; x = t->parent[x]) anc[count++] = x;
    for (i64 k = count - 1; k > 0; k--) {
        i64 p = anc[k], r = anc[k - 1];
        i64 size_p = t->size[p], last_p = t->last[p], prev_r = t->prv[r];
        i64 last_r = t->last[r], next_last_r = t->nxt[last_r];
        t->parent[p] = r;
        t->parent[r] = -1;
        t->pedge[p] = t->pedge[r];
        t->pedge[r] = -1;
        t->size[p] = size_p - t->size[r];
        t->size[r] = size_p;
        t->nxt[prev_r] = next_last_r;
        t->prv[next_last_r] = prev_r;
        t->nxt[last_r] = r;
        t->prv[r] = last_r;
        if (last_p == last_r) {
            t->last[p] = prev_r;
            last_p = prev_r;
        }
        t->prv[p] = last_r;
        t->nxt[last_r] = p;
        t->nxt[last_p] = r;
        t->prv[r] = last_p;
        t->last[r] = last_p;
    }
}

/* Hang the subtree rooted at q below p through arc i. */
static void add_edge(i64 i, i64 p, i64 q, Tree *t) {
    i64 last_p = t->last[p], next_last_p = t->nxt[last_p];
    i64 size_q = t->size[q], last_q = t->last[q];
    t->parent[q] = p;
    t->pedge[q] = i;
    t->nxt[last_p] = q;
    t->prv[q] = last_p;
    t->prv[next_last_p] = last_q;
    t->nxt[last_q] = next_last_p;
    while (p != -1) {
        t->size[p] += size_q;
        if (t->last[p] == last_p) t->last[p] = last_q;
        p = t->parent[p];
    }
}

/*
 * Pivot until no arc prices below -eps, or `limit` pivots. Potentials come back up to a
 * constant: the root's is no longer 0. Returns the pivots made, or minus
 * one minus them when it stopped without finishing (limit, or memory). `state[0]` is where the
 * block search goes on next time.
 */
i64 network_simplex(i64 n, i64 m, const i64 *src, const i64 *tgt, const double *cost,
                    double *flow, const uint8_t *dead, uint8_t *basic, double *pi, i64 *parent,
                    i64 *pedge, i64 *size, i64 *nxt, i64 *prv, i64 *last, i64 *state,
                    double eps, i64 limit, i64 block) {
    Tree t = {parent, pedge, size, nxt, prv, last};
    i64 *work = malloc(sizeof(i64) * (size_t)(9 * (n + 1)));
    if (work == NULL) return -1;
    i64 *path_p = work, *edge_p = path_p + n + 1, *path_q = edge_p + n + 1;
    i64 *edge_q = path_q + n + 1, *cyc_n = edge_q + n + 1, *cyc_e = cyc_n + 2 * n + 2;
    i64 *anc = cyc_e + 2 * n + 2;
    if (block > m) block = m;
    if (block < 1) block = 1;
    i64 blocks = (m + block - 1) / block;
    i64 start = m > 0 ? state[0] % m : 0;
    i64 misses = 0, pivots = 0;
    int finished = 1;
    while (misses < blocks) {
        if (pivots >= limit) {
            finished = 0;
            break;
        }
        /* Block search: the most negative reduced cost among the next `block` arcs. */
        double best = -eps;
        i64 entering = -1;
        for (i64 k = 0; k < block; k++) {
            i64 a = start + k;
            if (a >= m) a -= m;
            if (dead[a] || basic[a]) continue;
            double c = cost[a] - pi[src[a]] + pi[tgt[a]];
            if (c < best) {
                best = c;
                entering = a;
            }
        }
        start += block;
        if (start >= m) start -= m;
        if (entering < 0) {
            misses++;
            continue;
        }
        misses = 0;
        pivots++;
        i64 p = src[entering], q = tgt[entering];
        /* The cycle: apex -> ... -> p, the entering arc, q -> ... -> apex. */
        i64 apex = apex_of(p, q, &t);
        i64 n1 = path_up(p, apex, &t, path_p, edge_p);
        i64 n2 = path_up(q, apex, &t, path_q, edge_q);
        cyc_n[0] = apex;
        for (i64 k = 0; k < n1; k++) {
            cyc_n[k + 1] = path_p[n1 - 1 - k];
            cyc_e[k] = edge_p[n1 - 1 - k];
        }
        cyc_e[n1] = entering;
        for (i64 k = 0; k < n2; k++) {
            cyc_n[n1 + 1 + k] = path_q[k];
            cyc_e[n1 + 1 + k] = edge_q[k];
        }
        i64 length = n1 + 1 + n2;
        /* Leaving arc: least residual against the cycle's direction, the last one on ties
         * (this keeps the tree strongly feasible). Arcs are uncapacitated forwards. */
        double delta = INFINITY;
        i64 jk = -1;
        for (i64 k = length - 1; k >= 0; k--) {
            i64 e = cyc_e[k];
            if (src[e] != cyc_n[k] && flow[e] < delta) {
                delta = flow[e];
                jk = k;
            }
        }
        if (jk < 0) {
            /* An improving cycle without a backward arc would be unbounded: impossible here. */
            finished = 0;
            break;
        }
        for (i64 k = 0; k < length; k++) {
            i64 e = cyc_e[k];
            if (src[e] == cyc_n[k])
                flow[e] += delta;
            else
                flow[e] -= delta;
        }
        i64 j = cyc_e[jk];
        flow[j] = 0.0;
        i64 s = cyc_n[jk];
        i64 c = src[j] == s ? tgt[j] : src[j];
        if (parent[c] != s) {
            i64 swap = s;
            s = c;
            c = swap;
        }
        if (n1 > jk) {
            i64 swap = p;
            p = q;
            q = swap;
        }
        remove_edge(s, c, &t);
        make_root(q, &t, anc);
        add_edge(entering, p, q, &t);
        /* Shift q's new subtree against the rest so that the entering arc prices at zero.
         * Only differences of potentials count (the caller measures them from the root), so
         * the smaller side moves: q's subtree up by d, or everything else down by d. */
        double sign = q == tgt[entering] ? -1.0 : 1.0;
        double d = pi[p] + sign * cost[entering] - pi[q];
        if (2 * size[q] <= n) {
            i64 x = q, end = last[q];
            pi[x] += d;
            while (x != end) {
                x = nxt[x];
                pi[x] += d;
            }
        } else {
            for (i64 x = nxt[last[q]]; x != q; x = nxt[x]) pi[x] -= d;
        }
        basic[j] = 0;
        basic[entering] = 1;
    }
    state[0] = start;
    free(work);
    return finished ? pivots : -1 - pivots;
}

/* Insert (pair, r) into node's row of best violators, kept sorted, if it is good enough. */
static void keep_best(i64 *best, double *val, i64 k, i64 node, i64 pair, double r) {
    i64 *b = best + node * k;
    double *v = val + node * k;
    if (r <= v[k - 1]) return;
    i64 j = k - 1;
    while (j > 0 && v[j - 1] < r) {
        v[j] = v[j - 1];
        b[j] = b[j - 1];
        j--;
    }
    v[j] = r;
    b[j] = pair;
}

/*
 * Price every pair outside the restricted problem: per offer the largest reduced cost
 * (`excess`, at least its initial 0), and each offer's and each demand's best `k` violators
 * above `tol` (index and value, best first; rows start at -1 and -inf).
 */
void price_pairs(i64 n_pairs, const double *net, const int32_t *offer, const int32_t *demand,
                 const double *u, const double *v, const uint8_t *in_lp, double tol,
                 double *excess, i64 k, i64 *offer_best, double *offer_val, i64 *demand_best,
                 double *demand_val) {
    for (i64 p = 0; p < n_pairs; p++) {
        if (in_lp[p]) continue;
        i64 o = offer[p], d = demand[p];
        double r = net[p] - u[o] - v[d];
        if (r > excess[o]) excess[o] = r;
        if (r <= tol) continue;
        keep_best(offer_best, offer_val, k, o, p, r);
        keep_best(demand_best, demand_val, k, d, p, r);
    }
}

/*
 * The eligible pairs of one material between `n_o` offers (rows) and `n_d` demands (columns),
 * given as indices into the unit-vector and company arrays. A pair is kept when the companies
 * differ, its squared chord is within the column's `chord2_limit` (the demand's maximum
 * distance or the distance at which transport eats the benefit, widened a little), and then,
 * exactly, `km = km_scale * asin(chord / 2)` (km_scale = circuity x 2 x Earth radius) is within `max_km` and the net value
 * `benefit - transport * km` is positive. Pairs come out row by row, columns in order, into
 * `out_*` (room for n_o x n_d); the count is returned.
 *
 * Seeds: each row's `k` nearest kept pairs are marked in `out_seed`; each column's nearest
 * kept pair is tracked across calls in `col_dist` / `col_pair` (pair numbers start at `base`).
 */
i64 eligible_block(i64 n_o, const int32_t *offers, i64 n_d, const int32_t *demands,
                   const double *offer_xyz, const double *demand_xyz, const int32_t *offer_company,
                   const int32_t *demand_company, const double *chord2_limit,
                   const double *max_km, double benefit, double transport, double km_scale,
                   i64 k, i64 base, int32_t *out_o, int32_t *out_d, double *out_net,
                   uint8_t *out_seed, double *col_dist, i64 *col_pair, double *row_dist,
                   i64 *row_pair) {
    i64 count = 0;
    for (i64 r = 0; r < n_o; r++) {
        i64 o = offers[r];
        double ox = offer_xyz[3 * o], oy = offer_xyz[3 * o + 1], oz = offer_xyz[3 * o + 2];
        int32_t company = offer_company[o];
        for (i64 j = 0; j < k; j++) {
            row_dist[j] = INFINITY;
            row_pair[j] = -1;
        }
        for (i64 c = 0; c < n_d; c++) {
            i64 d = demands[c];
            double dx = ox - demand_xyz[3 * d], dy = oy - demand_xyz[3 * d + 1];
            double dz = oz - demand_xyz[3 * d + 2];
            double chord2 = dx * dx + dy * dy + dz * dz;
            if (chord2 > chord2_limit[c] || demand_company[d] == company) continue;
            double half = sqrt(chord2) / 2.0;
            double km = km_scale * asin(half < 1.0 ? half : 1.0);
            double net = benefit - transport * km;
            if (!(km <= max_km[d]) || !(net > 0.0)) continue;
            out_o[count] = (int32_t)o;
            out_d[count] = (int32_t)d;
            out_net[count] = net;
            out_seed[count] = 0;
            if (chord2 < col_dist[c]) {
                col_dist[c] = chord2;
                col_pair[c] = base + count;
            }
            if (k > 0 && chord2 < row_dist[k - 1]) {
                i64 j = k - 1;
                while (j > 0 && row_dist[j - 1] > chord2) {
                    row_dist[j] = row_dist[j - 1];
                    row_pair[j] = row_pair[j - 1];
                    j--;
                }
                row_dist[j] = chord2;
                row_pair[j] = count;
            }
            count++;
        }
        for (i64 j = 0; j < k; j++)
            if (row_pair[j] >= 0) out_seed[row_pair[j]] = 1;
    }
    return count;
}

/* An importable module, so the build and `importlib` find the library; ctypes does the rest. */
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels",
                                    "The matching engine's C loops, loaded through ctypes.", -1,
                                    NULL};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
