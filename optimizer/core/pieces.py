"""Integer sector pieces for given integer totals (the designations of real positions).

Given totals h, find integer pieces y with ``sum_{p of i} y_p = h_i``, every piece between 0 and
its total (the no-wash rule) and every form on y (the sector DV01 bands) met: a tiny MILP solved
by HiGHS (one persistent model, only bounds change between calls). Instruments designated to one
sector have their piece fixed to the total, so with no shared instrument there is nothing to solve.

``find(h, nice=True)`` also picks, among the feasible pieces, those that bring each targeted
sector's DV01 after hedge closest to its target (sum of absolute deviations, $k) -- the allocation
a PM would write down -- instead of any feasible one.
"""

from __future__ import annotations

import highspy
import numpy as np

from optimizer.core.forms import feasible_mask
from optimizer.core.model import HedgeModel

INF = highspy.kHighsInf


class Pieces:
    """Integer pieces for totals h (module docstring)."""

    def __init__(self, model: HedgeModel) -> None:
        d = model.data
        self.model = model
        self.yforms = model.forms.linear("y")
        self.trivial = bool(np.all(d.S.sum(axis=1) <= 1))
        self.targeted = [s for s in range(len(d.sectors)) if np.isfinite(model.targets[s])]
        self.highs: highspy.Highs | None = None
        self.calls = 0
        if not self.trivial:
            self._build()

    def _build(self) -> None:
        d, P, I = self.model.data, self.model.data.P, self.model.data.I  # noqa: E741
        ns = len(self.targeted)
        h = highspy.Highs()
        h.silent()
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("time_limit", 5.0)
        inf = np.full(P + ns, INF)
        lo = np.concatenate([np.zeros(P), np.zeros(ns)])
        h.addVars(P + ns, lo, inf)
        h.changeColsIntegrality(P, np.arange(P, dtype=np.int32),
                                np.full(P, highspy.HighsVarType.kInteger))
        for i in range(I):
            ps = np.nonzero(d.S[i])[0].astype(np.int32)
            h.addRow(0.0, 0.0, len(ps), ps, np.ones(len(ps)))
        for f in self.yforms:
            nz = np.nonzero(f.coef)[0].astype(np.int32)
            h.addRow((f.lo - f.offset) / f.scale, (f.hi - f.offset) / f.scale, len(nz), nz,
                     f.coef[nz] / f.scale)
        for k, s in enumerate(self.targeted):  # e_s >= +-(after_s - target_s) in $k
            row = d.sector_row(s) / 1e3
            nz = np.nonzero(row)[0]
            dev = (float(self.model.targets[s]) - float(d.sd[s])) / 1e3
            idx = np.concatenate([nz, [P + k]]).astype(np.int32)
            h.addRow(-INF, dev, len(idx), idx, np.concatenate([row[nz], [-1.0]]))
            h.addRow(dev, INF, len(idx), idx, np.concatenate([row[nz], [1.0]]))
        self.highs = h

    def find(self, h: np.ndarray, nice: bool = False) -> np.ndarray | None:
        """Integer pieces for totals h (None when none exist)."""
        d = self.model.data
        self.calls += 1
        if self.trivial:
            y = d.S.T @ h
            ok = feasible_mask(list(self.yforms), h[None], y[None])[0]
            return y if ok else None
        assert self.highs is not None and self.model.box is not None
        P, ns = d.P, len(self.targeted)
        pi = d.piece_instrument
        ylo = np.maximum(np.minimum(h[pi], 0.0), self.model.box[0][d.I:])
        yhi = np.minimum(np.maximum(h[pi], 0.0), self.model.box[1][d.I:])
        if np.any(ylo > yhi):
            return None
        hs = self.highs
        hs.changeColsBounds(P, np.arange(P, dtype=np.int32), ylo, yhi)
        hs.changeRowsBounds(d.I, np.arange(d.I, dtype=np.int32), h.astype(float),
                            h.astype(float))
        cost = np.concatenate([np.zeros(P), np.full(ns, 1.0 if nice else 0.0)])
        hs.changeColsCost(P + ns, np.arange(P + ns, dtype=np.int32), cost)
        hs.run()
        if hs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        y = np.round(np.asarray(hs.getSolution().col_value[:P], float))
        if not np.array_equal(d.S @ y, h):
            return None
        return y if feasible_mask(list(self.yforms), h[None], y[None])[0] else None


__all__ = ["Pieces"]
