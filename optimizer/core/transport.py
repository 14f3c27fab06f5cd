"""When can integer totals be designated to sectors within their bands? (necessary conditions)

With every piece of contract i of the sign of its total (no-wash), contract i hands a DV01
``D_i = d_i h_i`` to its sectors in same-signed parts, and sector s must receive a total in
``[l_s, u_s]`` (its band minus its own DV01). For continuous pieces this is a transportation
problem with interval demands; by Hoffman's circulation theorem it is feasible iff for every set
T of banded sectors

    sum_{s in T} l_s <= sum_{i: D_i > 0, N(i) meets T} D_i + sum_{i: D_i < 0, N(i) within T} D_i
    sum_{s in T} u_s >= sum_{i: D_i < 0, N(i) meets T} D_i + sum_{i: D_i > 0, N(i) within T} D_i

(N(i) = the sectors contract i may hedge; a contract that may also go to an unbanded sector is
never "within" T). Each band is first cut to what the sector's pieces can reach inside their
propagated integer boxes (for a sector with one contract: the band rounded to whole contracts). Sets spanning several connected components split into their components, so
only sets inside one component are listed. Integer pieces need these and a little more; the
exact answer for a candidate comes from :class:`optimizer.core.pieces.Pieces`. Used twice: as a
vectorized filter of enumerated candidates, and (for small components, signs known) as
half-spaces that prune the enumeration.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from optimizer.core.forms import row_tol
from optimizer.core.model import HedgeModel

MAX_SUBSETS = 1023  # per component, for the filter
MAX_HALFSPACE_SUBSETS = 1023  # per component, as pruning half-spaces


def _neighbours(N: np.ndarray) -> list[int]:
    """Per sector, the bitmask of the sectors it shares a contract with (N: contract x sector)."""
    masks = [sum(1 << int(s) for s in np.nonzero(row)[0]) for row in N]
    out = [0] * N.shape[1]
    for m, row in zip(masks, N, strict=True):
        for s in np.nonzero(row)[0]:
            out[int(s)] |= m
    return out


def _connected(secs: tuple[int, ...], nb: list[int]) -> bool:
    """Whether the sectors ``secs`` are linked through shared contracts (``nb`` from
    :func:`_neighbours`). The condition of a set whose sectors fall into unlinked groups is the
    sum of the groups' conditions, so only linked sets are kept."""
    within = sum(1 << s for s in secs)
    reach, frontier = 1 << secs[0], 1 << secs[0]
    while frontier:
        grow = 0
        for s in secs:
            if frontier >> s & 1:
                grow |= nb[s]
        frontier = grow & within & ~reach
        reach |= frontier
    return reach == within


class SectorFlow:
    """Hoffman conditions of the sector bands (module docstring)."""

    def __init__(self, model: HedgeModel) -> None:
        d = model.data
        S = len(d.sectors)
        self.d = d.d.copy()
        lo, hi = np.full(S, -math.inf), np.full(S, math.inf)
        banded = np.zeros(S, bool)
        self.ok_structure = True
        for f in model.forms.linear("y"):
            secs = {d.pieces[p][0] for p in np.nonzero(f.coef)[0]}
            s = next(iter(secs)) if len(secs) == 1 else -1
            if s < 0 or not np.allclose(f.coef, d.sector_row(s), rtol=0, atol=0):
                self.ok_structure = False
                continue
            lo[s], hi[s] = max(lo[s], f.lo - f.offset), min(hi[s], f.hi - f.offset)
            banded[s] = True
        N = np.zeros((d.I, S), bool)
        for s, i in d.pieces:
            N[i, s] = True
        lo, hi = self._tighten(model, lo, hi)
        self.subsets = self._subsets(N, banded)
        T = np.array(self.subsets, bool).reshape(-1, S)
        self.meet = (T.astype(int) @ N.T.astype(int)) > 0  # (nT, I)
        self.within = np.all(~N[None, :, :] | T[:, None, :], axis=2)  # N(i) inside T
        with np.errstate(invalid="ignore"):
            self.L = np.where(T, lo[None, :], 0.0).sum(axis=1)
            self.U = np.where(T, hi[None, :], 0.0).sum(axis=1)
        self.tolL = np.array([row_tol(v) for v in self.L])
        self.tolU = np.array([row_tol(v) for v in self.U])
        self.size = T.sum(axis=1)

    @staticmethod
    def _tighten(model: HedgeModel, lo: np.ndarray, hi: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """A sector can only receive what its pieces' integer boxes allow: with one contract
        that is a multiple of its DV01 inside the band (the band rounded to whole contracts)."""
        d = model.data
        if model.box is None:
            return lo, hi
        ylo, yhi = model.box[0][d.I:], model.box[1][d.I:]
        reach_lo, reach_hi = np.zeros(len(lo)), np.zeros(len(lo))
        for p, (s, i) in enumerate(d.pieces):
            a, b = d.d[i] * ylo[p], d.d[i] * yhi[p]
            reach_lo[s] += min(a, b)
            reach_hi[s] += max(a, b)
        return np.maximum(lo, reach_lo), np.minimum(hi, reach_hi)

    @staticmethod
    def _subsets(N: np.ndarray, banded: np.ndarray) -> list[list[bool]]:
        S = len(banded)
        parent = list(range(S))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for i in range(N.shape[0]):
            secs = [s for s in np.nonzero(N[i])[0] if banded[s]]
            for s in secs[1:]:
                parent[find(int(s))] = find(int(secs[0]))
        comps: dict[int, list[int]] = {}
        for s in np.nonzero(banded)[0]:
            comps.setdefault(find(int(s)), []).append(int(s))
        out: list[list[bool]] = []
        nb = _neighbours(N)
        for members in comps.values():
            if 2 ** len(members) - 1 > MAX_SUBSETS:
                members_sets: list[tuple[int, ...]] = [(s,) for s in members] + [tuple(members)]
            else:
                members_sets = [c for r in range(1, len(members) + 1)
                                for c in itertools.combinations(members, r)]
            for c in members_sets:
                if len(c) > 1 and not _connected(c, nb):
                    continue  # a set of unlinked parts: implied by the conditions of its parts
                mask = [False] * S
                for sec in c:
                    mask[int(sec)] = True
                out.append(mask)
        return out

    def ok(self, H: np.ndarray) -> np.ndarray:
        """(N,) True where totals H admit continuous pieces within every band."""
        if not len(self.subsets):
            return np.ones(H.shape[0], bool)
        D = np.atleast_2d(H) * self.d
        Dp, Dm = np.maximum(D, 0.0), np.minimum(D, 0.0)
        mx = Dp @ self.meet.T + Dm @ self.within.T
        mn = Dm @ self.meet.T + Dp @ self.within.T
        return np.all(mx >= self.L - self.tolL, axis=1) & np.all(mn <= self.U + self.tolU, axis=1)

    def halfspaces(self, lo: np.ndarray, hi: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
        """The conditions as ``a . h <= b`` where every contract's sign is known on the box."""
        A: list[np.ndarray] = []
        b: list[float] = []
        pos = np.where(lo >= 0, self.d > 0, np.where(hi <= 0, self.d < 0, False))
        neg = np.where(lo >= 0, self.d < 0, np.where(hi <= 0, self.d > 0, False))
        known = pos | neg | ((lo == 0) & (hi == 0))
        for k in range(len(self.subsets)):
            involved = self.meet[k]
            if not np.all(known[involved]):
                continue
            if self.size[k] > 1 and len(self.subsets) > MAX_HALFSPACE_SUBSETS:
                continue
            up = np.where(pos, self.meet[k], self.within[k]) * self.d
            dn = np.where(neg, self.meet[k], self.within[k]) * self.d
            if math.isfinite(self.L[k]):
                A.append(-up)
                b.append(-self.L[k])
            if math.isfinite(self.U[k]):
                A.append(dn)
                b.append(self.U[k])
        return A, b


__all__ = ["SectorFlow"]
