"""Leaf of the exact method: every integer hedge of a node better than the incumbent.

A leaf is a node whose box is on one side of every breakpoint (0 for a contract shared by
several sectors or counted by leverage/margin; h0 for turnover and trading cost), so the absolute
values are linear on it and its pieces have a known sign. With the node's rigorous bound g and
multipliers (:mod:`optimizer.core.relax`), every integer hedge of the node with objective
``F <= g + Delta`` satisfies

    ||R (h - h*)||^2 + sum_k (w_k slack_k(h))^2 / Delta  <=  Delta           (enclosure)

(each slab term ``w_k slack_k`` lies in [0, Delta], so its square over Delta is at most itself),
and the half-spaces: the node box, every constraint that is linear in h on the node (forms on h,
absolute sums with known signs, the necessary conditions the sector bands put on h), and
``w_k slack_k(h) <= Delta``. :func:`optimizer.core.lattice.enumerate_points` lists the integer
points of that region; each is evaluated exactly and the best one whose integer pieces exist is
the leaf's optimum. Coordinates fixed by the box are substituted; a tiny box term
``eta Delta sum_j ((h_j - m_j) / hw_j)^2 <= eta Delta`` keeps the quadratic definite when the
covariance leaves directions free (more contracts than factors), at the price of Delta -> (1 +
eta) Delta.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.core.forms import AbsSum, LinearForm
from optimizer.core.model import HedgeModel
from optimizer.core.relax import NodeBound, NodeQP
from optimizer.core.transport import SectorFlow

ETA = 1e-3
THETA = 0.5


@dataclass
class Region:
    """The enclosure of a leaf in the free coordinates J: (h_J - center)' M (...) <= D, A h <= b."""

    J: np.ndarray
    h_fixed: np.ndarray  # full-length h with the fixed coordinates set (free ones 0)
    M: np.ndarray
    center: np.ndarray
    D: float
    A: np.ndarray
    b: np.ndarray

    def full(self, HJ: np.ndarray) -> np.ndarray:
        H = np.tile(self.h_fixed, (HJ.shape[0], 1))
        H[:, self.J] = HJ
        return H


def breakpoints(model: HedgeModel, qp: NodeQP) -> list[list[float]]:
    """Per instrument, the values of h_i where the problem changes piece (module docstring)."""
    d = model.data
    shared = d.S.sum(axis=1) > 1
    out: list[list[float]] = [[0.0] if shared[i] else [] for i in range(d.I)]
    for r in qp.lay.refs:
        used = np.zeros(d.I, bool)
        for f in model.forms.abs_sums():
            if np.array_equal(f.ref, r):
                used |= f.weights > 0
        if np.array_equal(r, d.h0):
            used |= model.cw > 0
        for i in np.nonzero(used)[0]:
            if float(r[i]) not in out[i]:
                out[i].append(float(r[i]))
    return out


def h_halfspaces(model: HedgeModel, lo: np.ndarray, hi: np.ndarray, flow: SectorFlow
                 ) -> tuple[list[np.ndarray], list[float]]:
    """``a . h <= b`` rows that hold for every feasible hedge with lo <= h <= hi (sign-definite
    boxes): box, forms on h, absolute sums, and what the sector bands imply for h."""
    d = model.data
    A: list[np.ndarray] = []
    b: list[float] = []
    eye = np.eye(d.I)
    for i in range(d.I):
        A += [eye[i], -eye[i]]
        b += [float(hi[i]), -float(lo[i])]
    for lf in model.forms.linear("h"):
        _bounds_rows(A, b, lf.coef, lf.offset, lf.lo, lf.hi)
    sig = np.where(lo >= 0, 1.0, np.where(hi <= 0, -1.0, 0.0))
    for af in model.forms.abs_sums():
        s = np.where(lo >= af.ref, 1.0, np.where(hi <= af.ref, -1.0, 0.0))
        nz = af.weights > 0
        if np.all(s[nz] != 0):
            A.append(af.weights * s)
            b.append(af.cap + float(np.sum(af.weights * s * af.ref)))
    if flow.ok_structure:
        fa, fb = flow.halfspaces(lo, hi)
        return A + fa, b + fb
    pi = d.piece_instrument
    single = d.S.sum(axis=1) == 1
    for f in model.forms.linear("y"):
        if not np.all(sig[pi[f.coef != 0]] != 0):
            continue
        exact, up, down = np.zeros(d.I), np.zeros(d.I), np.zeros(d.I)
        for p in np.nonzero(f.coef)[0]:
            i = pi[p]
            a = float(f.coef[p])
            if single[i]:
                exact[i] += a
            elif a * sig[i] > 0:
                up[i] += a  # this piece adds between 0 and a h_i (> 0)
            else:
                down[i] += a
        _bounds_rows(A, b, exact + up, f.offset, f.lo, math.inf)  # max reachable >= lo
        _bounds_rows(A, b, exact + down, f.offset, -math.inf, f.hi)  # min reachable <= hi
    return A, b


def _bounds_rows(A: list[np.ndarray], b: list[float], coef: np.ndarray, offset: float,
                 lo: float, hi: float) -> None:
    if math.isfinite(hi):
        A.append(coef.copy())
        b.append(hi - offset)
    if math.isfinite(lo):
        A.append(-coef)
        b.append(offset - lo)


def region(model: HedgeModel, qp: NodeQP, nb: NodeBound, lo: np.ndarray, hi: np.ndarray,
           delta: float, halfspaces: tuple[list[np.ndarray], list[float]]) -> Region:
    """The leaf's enclosure for objective <= bound + delta (module docstring)."""
    assert nb.h_star is not None and nb.rho is not None
    J = np.nonzero(lo < hi)[0]
    h_fix = np.where(lo == hi, lo, 0.0).astype(float)
    R = qp.Rk
    rows = [R[:, J]]
    rhs = [R @ nb.h_star - R @ h_fix]
    A = [a.copy() for a in halfspaces[0]]
    b = list(halfspaces[1])
    rho = nb.rho
    lin, lin_b = rho.copy(), delta + float(np.minimum(rho * lo, rho * hi).sum())
    lin_a = -float(np.minimum(rho * lo, rho * hi).sum())
    th = THETA
    for w, alpha, beta in qp.slabs(nb, lo, hi):
        s = w * math.sqrt((1.0 - th) / delta)
        rows.append(s * beta[J][None, :])
        rhs.append(np.array([-s * (alpha + beta @ h_fix)]))
        A.append(beta.copy())
        b.append(delta / w - alpha)
        lin += w * beta
        lin_b -= w * alpha
        lin_a += w * alpha
    A.append(rho.copy())
    b.append(delta + float(np.minimum(rho * lo, rho * hi).sum()))
    A.append(lin)  # all the nonnegative linear terms together are at most delta too
    b.append(lin_b)
    if th > 0:
        s = math.sqrt(th / delta)
        rows.append(s * lin[J][None, :])
        rhs.append(np.array([-s * (lin_a + lin @ h_fix)]))
    hw = np.maximum((hi[J] - lo[J]) / 2.0, 0.5)
    box_w = math.sqrt(ETA * delta / max(len(J), 1)) / hw
    rows.append(np.diag(box_w))
    rhs.append(box_w * (lo[J] + hi[J]) / 2.0)
    G, r = np.vstack(rows), np.concatenate(rhs)
    center, *_ = np.linalg.lstsq(G, r, rcond=None)
    D = (1 + ETA) * delta - float(np.sum((r - G @ center) ** 2))
    Am = np.array(A)
    bm = np.array(b) - Am @ h_fix
    return Region(J=J, h_fixed=h_fix, M=G.T @ G, center=center, D=D, A=Am[:, J], b=bm)


def covers_box(reg: Region, lo: np.ndarray, hi: np.ndarray) -> bool:
    """True when the enclosure contains the whole box (so enumerating it enumerated the box):
    max over the box of ||L'(h - c)||^2 <= (sum_j max|h_j - c_j| ||L' e_j||)^2 <= D."""
    if not len(reg.J):
        return True
    L = np.linalg.cholesky(reg.M)
    w = np.maximum(np.abs(lo[reg.J] - reg.center), np.abs(hi[reg.J] - reg.center))
    return float(np.sum(w * np.linalg.norm(L, axis=1))) ** 2 <= reg.D


def infeasible_forms_only(model: HedgeModel, H: np.ndarray) -> np.ndarray:
    """Float check of everything that depends on h only (K, forms on h, absolute sums)."""
    ok = np.ones(H.shape[0], dtype=bool)
    for f in model.forms.forms:
        if isinstance(f, LinearForm) and f.on == "y":
            continue
        if isinstance(f, (LinearForm, AbsSum)):
            ok &= f.excess(H, H) <= f.tol()
        else:
            ok &= f.excess(H, H) <= 0
    return ~ok


__all__ = ["Region", "breakpoints", "covers_box", "h_halfspaces", "infeasible_forms_only", "region"]
