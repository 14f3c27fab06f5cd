"""Node relaxations of the exact method: a convex QP (Clarabel) and a rigorous bound from its duals.

The relaxation of a node (a box ``lo <= h <= hi`` on the integer totals) is the convex QP over
continuous (h, y, u, z): the forms with ``|h_i - ref_i|`` replaced by ``u_gi >= +-(h_i - ref_i)``
(one aux vector per distinct reference: 0 for leverage/margin/cardinality, h0 for turnover and the
trading cost), the cardinality by ``u_0i <= M_i z_i, sum z <= K, 0 <= z <= 1`` with ``M_i`` the
node's box, and the no-wash rule by the piece boxes the node's h-box implies (a piece lies between
0 and its total: ``[min(lo_i, 0), max(hi_i, 0)]``; once ``lo_i >= 0`` or ``hi_i <= 0`` this is
exactly the sign rule). Every integer hedge in the node is a point of this QP.

Clarabel (interior point, through its own Python API) solves it: one solver object per problem,
built once; between nodes only the bound vector and the big-M entries change, handed over with
``update`` (Clarabel's presolve is off so that updates are allowed). The solution is only used as
a hint: the **bound** is recomputed in exact terms of the true objective from the duals (weak
Lagrangian duality), so it is valid whatever the solver's accuracy:

  for any row multipliers pi (and h-column multipliers nu) with the sign of their active side,
  F(x) = L(x) + sum_k |pi_k| slack_k(x) >= L(x) for every feasible x, with
  L(x) = ||R h + c||^2 + r_h . h + r_v . v + kappa  (linear in the non-h variables v), so
  min L over the node box = kappa + ||e_perp||^2 - mu.c - ||mu||^2/4 + min_box rho.h
                            + sum_j min(r_j lo_j, r_j hi_j)        (r_h = R' mu + rho).

Directions in which R is flat (singular values below 1e-9 x the largest: more contracts than
factors, or a singular covariance) are kept out of ``mu`` (so it stays well conditioned); what
they can still contribute within the box is bounded separately. The same identity gives the
enclosure the lattice enumeration uses: every integer hedge of the node with objective <= U
satisfies ``||R_k (h - h*)||^2 + sum_k |pi_k| slack_k(h) <= U - bound`` (R_k = R without its flat
directions, h* solves R_k h* = -(c + mu/2)), where the terms are those of :meth:`NodeQP.slabs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import clarabel
import numpy as np
import scipy.sparse as sp

from optimizer.core.forms import AbsSum, LinearForm
from optimizer.core.model import HedgeModel

INF = np.inf
_OPTS = {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-10, "tol_feas": 1e-9, "max_iter": 200,
         "verbose": False, "presolve_enable": False}  # no presolve: data updates allowed
BIG = 1e15  # an infinite column bound, for Clarabel (which then keeps the row)


def _settings() -> Any:
    st = clarabel.DefaultSettings()
    for k, v in _OPTS.items():
        setattr(st, k, v)
    return st


@dataclass
class Row:
    """One row of the node QP: ``lo <= a . x <= hi`` plus what its slack is in terms of h."""

    kind: str  # link | lin_h | lin_y | aux | abs | card | cardsum
    lo: float
    hi: float
    idx: list[int]
    val: list[float]
    group: int = -1  # aux group (abs / aux rows)
    inst: int = -1  # instrument (aux / card rows)
    sign: int = 0  # aux: +1 for u - h >= -r, -1 for u + h >= r
    form: object = None


@dataclass
class Layout:
    n_h: int
    n_y: int
    refs: list[np.ndarray] = field(default_factory=list)  # reference vector of each aux group
    u0: list[int] = field(default_factory=list)  # first column of each aux group
    z0: int = -1
    n: int = 0

    def u(self, g: int, i: int) -> int:
        return self.u0[g] + i


@dataclass
class NodeBound:
    """Rigorous relaxation bound of a node and its enclosure data."""

    status: str  # optimal | infeasible | failed
    bound: float = np.inf  # $k^2, valid lower bound of the true objective on the node
    x: np.ndarray | None = None  # QP point (all columns)
    h_star: np.ndarray | None = None  # enclosure center
    rho: np.ndarray | None = None  # null-space part of r_h
    pi: np.ndarray | None = None  # row multipliers
    nu: np.ndarray | None = None  # h-column multipliers
    b: np.ndarray | None = None  # the row bound each multiplier refers to
    r: np.ndarray | None = None  # Lagrangian coefficients of all columns (true objective)
    vmin: float = 0.0  # min over the node box of r_v . v (non-h columns)


def _groups(model: HedgeModel) -> list[np.ndarray]:
    """Distinct reference vectors of the absolute values (0 first when needed)."""
    d = model.data
    refs: list[np.ndarray] = []

    def add(r: np.ndarray) -> None:
        if not any(np.array_equal(r, q) for q in refs):
            refs.append(np.asarray(r, float).copy())

    if model.forms.cardinality() is not None:
        add(np.zeros(d.I))
    for f in model.forms.abs_sums():
        add(f.ref)
    if np.any(model.cw > 0):
        add(d.h0)
    return refs


def group_of(refs: list[np.ndarray], r: np.ndarray) -> int:
    return next(g for g, q in enumerate(refs) if np.array_equal(q, r))


def build_rows(model: HedgeModel, lay: Layout) -> list[Row]:
    """All rows of the node QP (module docstring); card coefficients are set per node."""
    d = model.data
    I, rows = d.I, []  # noqa: E741
    for i in range(I):  # links: sum of i's pieces - h_i = 0
        ps = [I + int(p) for p in np.nonzero(d.S[i])[0]]
        rows.append(Row("link", 0.0, 0.0, [*ps, i], [1.0] * len(ps) + [-1.0]))
    for f in model.forms.forms:
        if isinstance(f, LinearForm):
            base = 0 if f.on == "h" else I
            nz = np.nonzero(f.coef)[0]
            rows.append(Row("lin_" + f.on, (f.lo - f.offset) / f.scale,
                            (f.hi - f.offset) / f.scale, [base + int(j) for j in nz],
                            [float(f.coef[j]) / f.scale for j in nz], form=f))
    used = np.zeros((len(lay.refs), I), bool)
    for f in model.forms.abs_sums():
        g = group_of(lay.refs, f.ref)
        nz = np.nonzero(f.weights > 0)[0]
        used[g, nz] = True
        rows.append(Row("abs", -INF, f.cap / f.scale, [lay.u(g, int(i)) for i in nz],
                        [float(f.weights[i]) / f.scale for i in nz], group=g, form=f))
    if np.any(model.cw > 0):
        used[group_of(lay.refs, d.h0), model.cw > 0] = True
    k = model.forms.cardinality()
    if k is not None:
        used[0, :] = True
        for i in range(I):
            rows.append(Row("card", -INF, 0.0, [lay.u(0, i), lay.z0 + i], [1.0, -1.0], inst=i))
        rows.append(Row("cardsum", -INF, float(k), [lay.z0 + i for i in range(I)], [1.0] * I))
    for g, r in enumerate(lay.refs):
        for i_np in np.nonzero(used[g])[0]:
            ii = int(i_np)
            ui = lay.u(g, ii)
            rows.append(Row("aux", -float(r[ii]), INF, [ui, ii], [1.0, -1.0], g, ii, +1))
            rows.append(Row("aux", float(r[ii]), INF, [ui, ii], [1.0, 1.0], g, ii, -1))
    return rows


class NodeQP:
    """The node relaxation of one :class:`HedgeModel` in a persistent Clarabel solver."""

    def __init__(self, model: HedgeModel, eps_rel: float = 1e-8) -> None:
        d = model.data
        self.model = model
        lay = Layout(n_h=d.I, n_y=d.P, refs=_groups(model))
        col = d.I + d.P
        for _ in lay.refs:
            lay.u0.append(col)
            col += d.I
        if model.forms.cardinality() is not None:
            lay.z0, col = col, col + d.I
        lay.n = col
        self.lay = lay
        self.rows = build_rows(model, lay)
        self.A = np.zeros((len(self.rows), lay.n))
        for k, r in enumerate(self.rows):
            self.A[k, r.idx] = r.val
        self.rl = np.array([r.lo for r in self.rows], float)
        self.ru = np.array([r.hi for r in self.rows], float)
        self.card_rows = [k for k, r in enumerate(self.rows) if r.kind == "card"]
        self._build_conic()
        self.n_solves = 0
        # R = U diag(s) V': directions with s below 1e-9 x max are treated as flat (module doc)
        U, sv, Vt = np.linalg.svd(model.R, full_matrices=False)
        keep = sv > 1e-9 * max(float(sv.max(initial=0.0)), 1e-300)
        self.svd = (U, sv, Vt, keep)
        self.Rk = (U[:, keep] * sv[keep]) @ Vt[keep]

    def column_box(self, lo: np.ndarray, hi: np.ndarray, counted: np.ndarray | None = None,
                   ybox: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds of the node: h box, piece boxes (no-wash), aux and indicator boxes
        (``counted``: contracts whose cardinality indicator is fixed to 1 although their box
        holds 0 -- the continuous search's "nonzero" branch; ``ybox``: the pieces' integer box
        of the node, :mod:`optimizer.core.nodebox`, instead of the global one)."""
        d, lay = self.model.data, self.lay
        assert self.model.box is not None
        ylo_g, yhi_g = ybox if ybox is not None else (self.model.box[0][d.I:],
                                                      self.model.box[1][d.I:])
        pi = d.piece_instrument
        clo, chi = np.zeros(lay.n), np.zeros(lay.n)
        clo[:d.I], chi[:d.I] = lo, hi
        clo[d.I:d.I + d.P] = np.maximum(np.minimum(lo[pi], 0.0), ylo_g)
        chi[d.I:d.I + d.P] = np.minimum(np.maximum(hi[pi], 0.0), yhi_g)
        for g, r in enumerate(lay.refs):
            chi[lay.u0[g]:lay.u0[g] + d.I] = np.maximum(np.abs(lo - r), np.abs(hi - r))
        if lay.z0 >= 0:
            nonzero = (lo >= 1) | (hi <= -1)
            zero = (lo == 0) & (hi == 0)
            if counted is not None:
                nonzero = nonzero | counted
            clo[lay.z0:lay.z0 + d.I] = nonzero.astype(float)
            chi[lay.z0:lay.z0 + d.I] = (~zero).astype(float)
        return clo, chi

    def _build_conic(self) -> None:
        """The QP in Clarabel's form ``min 1/2 x'Px + q'x, A x + s = b, s in K``: equality rows
        (zero cone), then row upper sides, row lower sides, column upper and lower bounds
        (nonnegative cone)."""
        d, n = self.model.data, self.lay.n
        eq = np.nonzero(self.rl == self.ru)[0]
        up = np.nonzero((self.rl != self.ru) & np.isfinite(self.ru))[0]
        dn = np.nonzero((self.rl != self.ru) & np.isfinite(self.rl))[0]
        self._rows = (eq, up, dn)
        eye = np.eye(n)
        top = np.vstack([self.A[eq], self.A[up], -self.A[dn]])
        for k in self.card_rows:  # keep the (node-dependent) big-M entries in the pattern
            top[self._stacked(k), self.lay.z0 + self.rows[k].inst] = -1.0
        self._A = sp.csc_matrix(np.vstack([top, eye, -eye]))
        self._A.sort_indices()
        self._card_pos = []  # (position in A.data, instrument) of every big-M entry
        for k in self.card_rows:
            r, c = self._stacked(k), self.lay.z0 + self.rows[k].inst
            lo_, hi_ = self._A.indptr[c], self._A.indptr[c + 1]
            j = lo_ + int(np.searchsorted(self._A.indices[lo_:hi_], r))
            self._card_pos.append((j, self.rows[k].inst))
        H = np.zeros((n, n))
        H[:d.I, :d.I] = 2.0 * self.model.R.T @ self.model.R
        self._P = sp.triu(sp.csc_matrix(H)).tocsc()
        self._q = np.concatenate([2.0 * self.model.R.T @ self.model.c, self._linear_cost()])
        self._cones = [clarabel.ZeroConeT(len(eq)),
                       clarabel.NonnegativeConeT(len(up) + len(dn) + 2 * n)]
        self._solver: Any = None

    def _stacked(self, k: int) -> int:
        """Row of the stacked Clarabel matrix holding row k (card rows are upper sides)."""
        eq, up, _ = self._rows
        return len(eq) + int(np.nonzero(up == k)[0][0])

    def solve(self, lo: np.ndarray, hi: np.ndarray, counted: np.ndarray | None = None,
              ybox: tuple[np.ndarray, np.ndarray] | None = None) -> NodeBound:
        """Relaxation of the node ``lo <= h <= hi``: Clarabel point + rigorous bound (a bound
        for the points whose pieces lie in ``ybox`` when given)."""
        clo, chi = self.column_box(lo, hi, counted, ybox)
        if np.any(clo > chi):
            return NodeBound("infeasible")
        eq, up, dn = self._rows
        for k, (j, i) in zip(self.card_rows, self._card_pos, strict=True):
            big = max(abs(float(lo[i])), abs(float(hi[i])), 1.0)  # u_0i <= M_i z_i, M_i = box
            self.A[k, self.lay.z0 + i] = -big
            self._A.data[j] = -big
        b = np.concatenate([self.rl[eq], self.ru[up], -self.rl[dn], chi, -clo])
        b = np.clip(b, -BIG, BIG)
        self.n_solves += 1
        if self._solver is None:
            self._solver = clarabel.DefaultSolver(self._P, self._q, self._A, b, self._cones,
                                                  _settings())
        else:
            self._solver.update(A=self._A, b=b)
        res = self._solver.solve()
        status = str(res.status)
        if "Infeasible" in status and "Dual" not in status:
            return NodeBound("infeasible")
        if status not in ("Solved", "AlmostSolved"):
            return NodeBound("failed")
        x, z = np.asarray(res.x, float), np.asarray(res.z, float)
        ne, nu_, nd = len(eq), len(up), len(dn)
        pi = np.zeros(len(self.rows))
        pi[eq] = -z[:ne]
        pi[up] -= z[ne:ne + nu_]
        pi[dn] += z[ne + nu_:ne + nu_ + nd]
        n = self.lay.n
        zc = z[ne + nu_ + nd:]
        col = zc[n:] - zc[:n]  # lower-bound multiplier minus upper-bound multiplier
        return self.lagrangian(lo, hi, clo, chi, x, pi, col)

    def lagrangian(self, lo: np.ndarray, hi: np.ndarray, clo: np.ndarray, chi: np.ndarray,
                   x: np.ndarray, row_dual: np.ndarray, col_dual: np.ndarray) -> NodeBound:
        """Weak-duality bound of the true objective from the multipliers (module docstring)."""
        m, I = self.model, self.model.data.I  # noqa: E741
        pi = row_dual.copy()
        pi[(pi > 0) & ~np.isfinite(self.rl)] = 0.0
        pi[(pi < 0) & ~np.isfinite(self.ru)] = 0.0
        b = np.where(pi > 0, self.rl, self.ru)
        b = np.where(pi == 0, 0.0, b)
        nu = col_dual[:I].copy()
        bh = np.where(nu > 0, lo, hi)
        r = -(self.A.T @ pi)
        r[I:] += self._linear_cost()
        r_h = r[:I] - nu
        kappa = float(m.const + pi @ b + nu @ bh)
        U, sv, Vt, keep = self.svd
        mu = U[:, keep] @ ((Vt[keep] @ r_h) / sv[keep])
        rho = r_h - m.R.T @ mu
        e = -(m.c + mu / 2.0)
        ue = U.T @ e
        h_star = Vt[keep].T @ (ue[keep] / sv[keep])
        reach = sv[~keep] * (np.abs(Vt[~keep]) @ np.maximum(np.abs(lo), np.abs(hi)))
        e_perp2 = float(np.sum((e - U @ ue) ** 2)
                        + np.sum(np.maximum(np.abs(ue[~keep]) - reach, 0.0) ** 2))
        rv = r[I:]
        vmin = float(np.minimum(rv * clo[I:], rv * chi[I:]).sum())
        g = (kappa + e_perp2 - float(mu @ m.c) - float(mu @ mu) / 4.0
             + float(np.minimum(rho * lo, rho * hi).sum()) + vmin)
        return NodeBound("optimal", bound=g, x=x, h_star=h_star, rho=rho, pi=pi, nu=nu, b=b,
                         r=r, vmin=vmin)

    def _linear_cost(self) -> np.ndarray:
        """Objective coefficients of the non-h columns (trading cost on its aux group)."""
        d, lay = self.model.data, self.lay
        c = np.zeros(lay.n - d.I)
        if np.any(self.model.cw > 0):
            g = group_of(lay.refs, d.h0)
            c[lay.u0[g] - d.I:lay.u0[g] - d.I + d.I] = self.model.cw
        return c

    def sides(self, lo: np.ndarray, hi: np.ndarray, g: int) -> np.ndarray:
        """+1 / -1 where the node box lies on one side of group g's reference, else 0."""
        r = self.lay.refs[g]
        return np.where(lo >= r, 1, np.where(hi <= r, -1, 0))

    def completion(self, lo: np.ndarray, hi: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray] | None:
        """x(h) = X h + x0: the natural completion (first piece of each contract carries its
        total, u = |h - ref| with the node's signs, z = 0) -- None if a sign is unknown."""
        d, lay = self.model.data, self.lay
        X, x0 = np.zeros((lay.n, d.I)), np.zeros(lay.n)
        X[np.arange(d.I), np.arange(d.I)] = 1.0
        for i in range(d.I):
            ps = np.nonzero(d.S[i])[0]
            if len(ps):
                X[d.I + int(ps[0]), i] = 1.0
        for row in self.rows:
            if row.kind != "aux" or row.sign != 1:
                continue
            sg = float(self.sides(lo, hi, row.group)[row.inst])
            if sg == 0:
                return None
            col = self.lay.u(row.group, row.inst)
            X[col, row.inst] = sg
            x0[col] = -sg * float(self.lay.refs[row.group][row.inst])
        return X, x0

    def slabs(self, nb: NodeBound, lo: np.ndarray, hi: np.ndarray
              ) -> list[tuple[float, float, np.ndarray]]:
        """(weight, alpha, beta) with ``weight x (alpha + beta . h)`` one nonnegative term of
        ``F(h) - bound - ||R (h - h*)||^2`` on the node: each row on h alone, each absolute-sum
        row whose signs are known, each active h bound, and the sum of all the other terms
        (an affine function of h too: the pieces and indicators cancel out of it)."""
        I = self.model.data.I  # noqa: E741
        assert nb.pi is not None and nb.nu is not None and nb.b is not None and nb.r is not None
        out: list[tuple[float, float, np.ndarray]] = []
        rest = np.ones(len(self.rows), bool)
        for k in np.nonzero(nb.pi)[0]:
            row, w = self.rows[int(k)], float(nb.pi[k])
            beta = np.zeros(I)
            if row.kind == "lin_h":
                beta[row.idx] = row.val
                out.append((abs(w), -row.lo, beta) if w > 0 else (abs(w), row.hi, -beta))
                rest[k] = False
            elif row.kind == "abs" and w < 0:
                f = row.form
                assert isinstance(f, AbsSum)
                sg = self.sides(lo, hi, row.group)
                if np.all(sg[f.weights > 0] != 0):
                    beta = -f.weights * sg / f.scale
                    alpha = (f.cap + float(np.sum(f.weights * sg * f.ref))) / f.scale
                    out.append((abs(w), alpha, beta))
                    rest[k] = False
        for j in np.nonzero(nb.nu)[0]:
            beta = np.zeros(I)
            w = float(nb.nu[j])
            beta[j] = 1.0 if w > 0 else -1.0
            out.append((abs(w), -float(lo[j]) if w > 0 else float(hi[j]), beta))
        comp = self.completion(lo, hi)
        if comp is not None:
            X, x0 = comp
            pr = nb.pi[rest]
            Ar = self.A[rest]
            rv = nb.r[I:]
            beta = pr @ (Ar @ X) + rv @ X[I:]
            alpha = float(pr @ (Ar @ x0 - nb.b[rest]) + rv @ x0[I:] - nb.vmin)
            out.append((1.0, alpha, beta))
        return out


__all__ = ["NodeBound", "NodeQP"]
