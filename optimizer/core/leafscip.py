"""SCIP on a leaf of the exact method (mixed into :class:`optimizer.core.bnb.BranchAndBound`):
a short run (100 nodes, fast presolve and separation, the incumbent as objective limit) that
often settles a leaf at its root, and a whole-leaf run (5,000 nodes, SCIP's defaults) for leaves
the enumeration cannot list or whose integer pieces keep failing; at its node limit the leaf is
split instead. Every hedge SCIP returns goes through the exact check before it counts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from optimizer.core.compile import scip_textbook
from optimizer.core.leaf import Region
from optimizer.core.model import HedgeModel
from optimizer.core.offers import PIECES_FAIL_LIMIT
from optimizer.core.relax import NodeBound

QUICK_SCIP_NODES = 100  # node limit of the short SCIP run
LEAF_SCIP_NODES = 5_000  # node limit of a whole-leaf run


class LeafScip:
    """The SCIP side of the search (module docstring); state lives in the search."""

    model: HedgeModel
    U: float
    h: np.ndarray | None
    stats: dict[str, Any]
    _fail_cap: int
    lim: Any

    def tol(self) -> float:
        raise NotImplementedError

    def _count(self, key: str, n: int = 1) -> None:
        raise NotImplementedError

    def _offer_exact(self, h: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def _split_unused(self, g: float, depth: int, lo: np.ndarray, hi: np.ndarray,
                      nb: NodeBound) -> bool:
        raise NotImplementedError

    def _split_widest(self, g: float, depth: int, lo: np.ndarray, hi: np.ndarray,
                      reg: Region | None) -> None:
        raise NotImplementedError

    def _quick_settles(self, g: float, depth: int, lo: np.ndarray, hi: np.ndarray,
                       nb: NodeBound) -> bool:
        """True when the leaf is done: split on a contract its relaxation leaves unused, or
        settled by a short SCIP run."""
        return self._split_unused(g, depth, lo, hi, nb) or self._scip_quick(lo, hi)

    def _scip_quick(self, lo: np.ndarray, hi: np.ndarray) -> bool:
        """SCIP on the leaf with a small node limit and the incumbent as objective limit:
        True when it settled the leaf (optimal or nothing better); its hedge is offered."""
        self._count("scip_quick")
        self._fail_cap = PIECES_FAIL_LIMIT  # tried: integer-pieces failures go on to the limit
        r = self._scip_on_leaf(lo, hi, QUICK_SCIP_NODES)
        done = r["status"] in ("optimal", "infeasible")
        self._count("scip_quick_settled", int(done))
        return done

    def _scip_on_leaf(self, lo: np.ndarray, hi: np.ndarray, node_limit: int) -> dict:
        """SCIP on the leaf's box with the incumbent as objective limit; its hedge (if any) is
        offered through the exact check. Returns SCIP's result."""
        cutoff = self.U - self.tol() if math.isfinite(self.U) else None
        # fast presolve/separation for the short runs; SCIP's defaults for a whole leaf
        # (stress-17: 0.72 -> 0.46 s for its 1,118-node leaf; nothing slower on the family)
        r = scip_textbook(self.model, time_limit=max(self.lim.time_limit, 1.0), box=(lo, hi),
                          cutoff=cutoff, node_limit=node_limit,
                          leaf=node_limit < LEAF_SCIP_NODES)
        self._count("scip_nodes", int(r["nodes"]))
        if "h" in r:
            self._offer_exact(r["h"], r["y"])
        return r

    def _scip_leaf(self, g: float, depth: int, lo: np.ndarray, hi: np.ndarray,
                   why: str = "") -> None:
        """Hand a leaf to SCIP (its box, fixed signs, objective limit U): exact when SCIP
        finishes; at its node limit the leaf is split instead (the search goes on)."""
        self._count("scip_leaves")
        if why:  # volume / work: enclosure too large; pieces: integer pieces failed too often
            self._count("scip_" + why)
        r = self._scip_on_leaf(lo, hi, LEAF_SCIP_NODES)
        if r["status"] in ("optimal", "infeasible") and ("h" not in r or self.h is not None
                                                         and np.array_equal(self.h, r["h"])):
            return
        self._split_widest(max(g, float(r.get("dual_bound", g))), depth, lo, hi, None)


__all__ = ["LEAF_SCIP_NODES", "QUICK_SCIP_NODES", "LeafScip"]
