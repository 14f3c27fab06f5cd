"""Integer points of an ellipsoid cut by half-spaces: LLL-reduced, vectorized Fincke-Pohst.

``enumerate_points(M, center, D, A, b)`` returns every integer h with
``(h - center)' M (h - center) <= D`` and ``A h <= b`` (M positive definite). The ellipsoid is
written ``||C (h - center)||^2 <= D`` (Cholesky ``M = C'C``); the lattice basis C is LLL-reduced
(``C U``, U unimodular, h = U z) so the enumeration tree in z stays close to the points it
finally yields. Coordinates are fixed from the last to the first (QR of ``C U``): at each level the
admissible interval of the next coordinate follows from the part of the radius left; a partial
assignment is also dropped when the slice of the ellipsoid it leaves cannot meet some half-space
(the minimum of ``a . h`` over an ellipsoid slice is its value at the slice's center minus
``sqrt(radius left) x ||R11^-T a1||``). All levels are processed as numpy arrays.

Exactness: the interval ends and the tests carry a 1e-9 relative slack outward, so no point of
the region is lost to rounding; callers evaluate every returned point exactly anyway.
"""

from __future__ import annotations

import math

import numpy as np

SLACK = 1e-9
CHECK_CELLS = 2_000_000  # points x half-spaces tested at once


class TooManyPoints(Exception):
    """The enumeration would exceed its work budget (the caller branches instead)."""


class TooManyEstimated(TooManyPoints):
    """Raised before any work: the estimated tree is larger than the caller allows."""


def lll(C: np.ndarray, delta: float = 0.75) -> tuple[np.ndarray, np.ndarray]:
    """LLL reduction of the columns of C: (C U, U) with U unimodular (int64)."""
    B = np.asarray(C, float).copy()
    n = B.shape[1]
    U = np.eye(n, dtype=np.int64)
    R: np.ndarray = np.asarray(np.linalg.qr(B, mode="r"))
    k, guard = 1, 0
    while k < n and guard < 100_000:
        guard += 1
        for j in range(k - 1, -1, -1):
            q = int(np.rint(R[j, k] / R[j, j])) if R[j, j] != 0 else 0
            if q:
                B[:, k] -= q * B[:, j]
                U[:, k] -= q * U[:, j]
                R[:, k] -= q * R[:, j]
        if R[k, k] ** 2 + R[k - 1, k] ** 2 >= delta * R[k - 1, k - 1] ** 2:
            k += 1
        else:
            B[:, [k - 1, k]] = B[:, [k, k - 1]]
            U[:, [k - 1, k]] = U[:, [k, k - 1]]
            R = np.asarray(np.linalg.qr(B, mode="r"))
            k = max(k - 1, 1)
    return B, U


def log_volume(M: np.ndarray, D: float) -> float:
    """log of the ellipsoid's volume (about the number of integer points it holds)."""
    n = M.shape[0]
    if D <= 0:
        return -math.inf
    sign, logdet = np.linalg.slogdet(M)
    if sign <= 0:
        return math.inf
    return (n / 2) * math.log(math.pi * D) - math.lgamma(n / 2 + 1) - 0.5 * logdet


class _Levels:
    """Per-level data of the enumeration in the reduced basis."""

    def __init__(self, M: np.ndarray, center: np.ndarray, A: np.ndarray) -> None:
        C = np.linalg.cholesky(M).T
        Cr, self.U = lll(C)
        Qr, R = np.linalg.qr(Cr)
        s = np.where(np.diag(R) < 0, -1.0, 1.0)
        self.R, Qr = R * s[:, None], Qr * s[None, :]
        self.t = Qr.T @ (C @ center)
        self.al = A @ self.U if A.size else np.zeros((0, len(center)))
        n = len(center)
        self.pre: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = [None]
        for k in range(1, n):
            R11i = np.linalg.inv(self.R[:k, :k])
            a1 = self.al[:, :k]
            self.pre.append((a1 @ (R11i @ self.t[:k]), self.al[:, k:] - a1 @ (R11i @ self.R[:k, k:]),
                             np.linalg.norm(a1 @ R11i, axis=1)))


def tree_estimate(R: np.ndarray, D: float) -> float:
    """Estimated enumeration nodes: the lattice points of each level's projected ellipsoid
    (volume of the j-dimensional ball of radius sqrt(D) over the last j diagonal entries of the
    reduced triangular basis, at least 1), summed over the levels; half-spaces not counted."""
    n = R.shape[0]
    logd = np.cumsum(np.log(np.abs(np.diag(R)))[::-1])  # last j entries, j = 1..n
    tot = 0.0
    for j in range(1, n + 1):
        logv = (j / 2) * math.log(math.pi * max(D, 1e-300)) - math.lgamma(j / 2 + 1) \
            - float(logd[j - 1])
        tot += max(1.0, math.exp(min(logv, 700.0)))
    return tot


def enumerate_points(M: np.ndarray, center: np.ndarray, D: float, A: np.ndarray,
                     b: np.ndarray, max_work: int = 2_000_000,
                     max_estimate: float | None = None, max_cells: int | None = None
                     ) -> np.ndarray:
    """All integer h (rows) in the ellipsoid and the half-spaces (module docstring).
    ``max_estimate``: raise :class:`TooManyEstimated` at once when :func:`tree_estimate` x
    (1 + half-spaces / 50) is larger (the cost of a try, before trying)."""
    n = len(center)
    if D < 0:
        return np.zeros((0, n), dtype=np.int64)
    A, b = _binding_rows(M, center, D, A, b)
    if max_cells is not None:  # each node is checked on every row that cuts the ellipsoid
        max_work = max(min(max_work, max_cells // max(len(b), 1)), 1)
    lv = _Levels(M, center, A)
    if max_estimate is not None:
        cost = tree_estimate(lv.R, D) * (1.0 + len(b) / 50.0)
        if cost > max_estimate:
            raise TooManyEstimated(f"estimated {cost:.3g} > {max_estimate:.3g}")
    R, t = lv.R, lv.t
    btol = b + SLACK * np.maximum(1.0, np.abs(b))
    Dt = D * (1 + SLACK) + SLACK
    ZT = np.zeros((0, 1), dtype=np.int64)  # fixed coordinates k.. as rows: one copy a level
    part = np.zeros(1)
    work = 0
    for k in range(n - 1, -1, -1):
        tail = R[k, k + 1:] @ ZT if ZT.shape[0] else np.zeros(len(part))
        ctr = (t[k] - tail) / R[k, k]
        rad = np.sqrt(np.maximum(Dt - part, 0.0)) / R[k, k]
        zlo = np.ceil(ctr - rad - SLACK).astype(np.int64)
        zhi = np.floor(ctr + rad + SLACK).astype(np.int64)
        cnt = np.maximum(zhi - zlo + 1, 0)
        tot = int(cnt.sum())
        work += tot
        if work > max_work:
            raise TooManyPoints(f"more than {max_work} enumeration nodes")
        idx = np.repeat(np.arange(len(cnt)), cnt)
        zk = zlo[idx] + (np.arange(tot) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        grown = np.empty((ZT.shape[0] + 1, tot), dtype=np.int64)
        grown[0] = zk
        if ZT.shape[0]:
            # mode="clip": idx is in range by construction, and "raise" buffers ``out`` (a copy
            # of every fixed coordinate: 9x slower at 6 levels, 40% of acct0772's CPU)
            np.take(ZT, idx, axis=1, out=grown[1:], mode="clip")
        ZT = grown
        part = part[idx] + (R[k, k] * zk + tail[idx] - t[k]) ** 2
        keep = part <= Dt
        if lv.al.shape[0]:
            keep &= _halfspaces_ok(lv, k, ZT, part, Dt, btol)
        ZT, part = ZT[:, keep], part[keep]
    return (lv.U @ ZT).T


def _binding_rows(M: np.ndarray, center: np.ndarray, D: float, A: np.ndarray, b: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The half-spaces that cut the ellipsoid: ``a . h <= b`` holds on all of it when
    ``a . center + sqrt(D a' M^-1 a) <= b`` (its maximum there), so such a row cannot drop a
    point and is left out (with a margin: a row kept by mistake costs time, never a point)."""
    if not A.size:
        return A, b
    Minv = np.linalg.inv(M)
    reach = A @ center + np.sqrt(max(D, 0.0) * np.maximum(np.einsum("ij,jk,ik->i", A, Minv, A),
                                                          0.0))
    keep = reach * (1 + 1e-6) + 1e-6 * np.maximum(1.0, np.abs(b)) > b
    return A[keep], b[keep]


def _halfspaces_ok(lv: _Levels, k: int, ZT: np.ndarray, part: np.ndarray, Dt: float,
                   btol: np.ndarray) -> np.ndarray:
    """Partial assignments (coordinates k.. fixed, one per column of ZT) whose ellipsoid slice
    meets every half-space (in column blocks, so that memory stays bounded with many
    half-spaces)."""
    step = max(1, CHECK_CELLS // max(len(btol), 1))
    if ZT.shape[1] > step:
        return np.concatenate([_halfspaces_ok(lv, k, ZT[:, a:a + step], part[a:a + step], Dt,
                                              btol) for a in range(0, ZT.shape[1], step)])
    if k == 0:
        return np.all(lv.al @ ZT <= btol[:, None], axis=0)
    pre = lv.pre[k]
    assert pre is not None
    c0, W, nu = pre
    v = c0[:, None] + W @ ZT
    slack = nu[:, None] * np.sqrt(np.maximum(Dt - part, 0.0))[None, :]
    return np.all(v - slack <= btol[:, None], axis=0)


__all__ = ["TooManyEstimated", "TooManyPoints", "enumerate_points", "lll", "log_volume",
           "tree_estimate"]
