"""Splits of the exact method's tree that are not at a breakpoint (mixed into
:class:`optimizer.core.bnb.BranchAndBound`): ``h_i = 0 | h_i != 0`` on a contract a leaf's
relaxation leaves unused (or whose integer pieces keep failing), and integrality splits of a
leaf too large to enumerate. Each split is a partition of the node's integer points, so the
search stays exact.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from optimizer.core.leaf import Region
from optimizer.core.model import HedgeModel
from optimizer.core.relax import NodeBound


class LeafSplits:
    """The split side of the search (module docstring); state lives in the search."""

    model: HedgeModel
    K: int | None
    stats: dict[str, Any]

    def _push(self, bound: float, depth: int, lo: np.ndarray, hi: np.ndarray) -> None:
        raise NotImplementedError

    def _count(self, key: str, n: int = 1) -> None:
        raise NotImplementedError

    def _offer(self, H: np.ndarray, sigma: np.ndarray | None = None) -> float | None:
        raise NotImplementedError

    def _split_zero(self, g: float, depth: int, lo: np.ndarray, hi: np.ndarray, nb: NodeBound
                    ) -> bool:
        """Split ``h_i = 0 | h_i != 0`` on a shared contract whose box holds 0 (the one the
        relaxation uses least) when integer pieces keep failing in a leaf: the failures come
        from sectors given pieces of two shared contracts with large totals (beyond the
        placements :mod:`optimizer.core.rounding` lists); the zero child decouples them, the
        other child's relaxation knows |h_i| >= 1. False when there is none (SCIP then)."""
        d = self.model.data
        free = (lo <= 0) & (hi >= 0) & (lo < hi) & (d.S.sum(axis=1) > 1)
        if not np.any(free):
            return False
        x = np.abs(nb.x[:d.I]) if nb.x is not None else np.zeros(d.I)
        cand = np.nonzero(free)[0]
        i = int(cand[np.argmin(x[cand])])
        self._count("zero_splits")
        self._push_zero_split(g, depth, lo, hi, i)
        return True

    def _room_below_k(self, nb: NodeBound) -> bool:
        """The relaxation uses fewer than K contracts: integer points may then use the ones it
        leaves at zero freely (each adds a dimension to the enclosure), so those are split
        off before enumerating; at K they are excluded by K anyway and split only when the
        enclosure proves large."""
        d = self.model.data
        used = int(np.sum(np.abs(nb.x[:d.I]) >= 0.5)) if nb.x is not None else d.I
        return self.K is None or used < self.K

    def _split_unused(self, g: float, depth: int, lo: np.ndarray, hi: np.ndarray,
                      nb: NodeBound) -> bool:
        """Split ``h_i = 0 | h_i != 0`` on a contract whose box holds 0 and that the leaf's
        relaxation leaves (nearly) at zero: the zero child's enclosure loses a dimension (the
        default book: 8 -> 5 free contracts, its leaf no longer goes to SCIP), the other
        child's relaxation knows |h_i| >= 1 and is usually pruned by its bound. False when
        there is none."""
        d = self.model.data
        x = np.abs(nb.x[:d.I]) if nb.x is not None else np.ones(d.I)
        free = (lo <= 0) & (hi >= 0) & (lo < hi) & (x < 0.5)
        if not np.any(free):
            return False
        i = int(np.nonzero(free)[0][0])
        self._count("unused_splits")
        self._push_zero_split(g, depth, lo, hi, i)
        return True

    def _push_zero_split(self, g: float, depth: int, lo: np.ndarray, hi: np.ndarray,
                         i: int) -> None:
        """Two children: contract i at zero, and contract i nonzero on its (fixed) side."""
        zl, zh = lo.copy(), hi.copy()
        zl[i] = zh[i] = 0
        nl, nh = lo.copy(), hi.copy()
        if lo[i] >= 0:
            nl[i] = 1
        else:
            nh[i] = -1
        self._push(g, depth + 1, zl, zh)
        self._push(g, depth + 1, nl, nh)

    def _split_widest(self, g: float, depth: int, lo: np.ndarray, hi: np.ndarray,
                      reg: Region | None) -> None:
        """Integrality split of the coordinate with the widest box (enclosure too large)."""
        self.stats["leaf_splits"] += 1
        w = hi - lo
        i = int(np.argmax(w))
        if w[i] <= 0:
            self._offer(lo[None, :].astype(float))
            return
        mid = math.floor((lo[i] + hi[i]) / 2.0)
        if reg is not None and len(reg.J):
            J = reg.J
            ext = np.sqrt(np.maximum(np.diag(np.linalg.pinv(reg.M)), 0) * max(reg.D, 0))
            k = int(np.argmax(np.minimum(ext, w[J])))
            i = int(J[k])
            mid = int(min(max(math.floor(reg.center[k]), lo[i]), hi[i] - 1))
        left, right = hi.copy(), lo.copy()
        left[i], right[i] = mid, mid + 1
        self._push(g, depth + 1, lo, left)
        self._push(g, depth + 1, right, hi)


__all__ = ["LeafSplits"]
