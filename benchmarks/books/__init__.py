"""Named benchmark books: holdings template, mandate, sectors and spread path (README.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
BOOKS = ("treasury", "default", "barbell", "bullet", "corporate")


@dataclass(frozen=True)
class Book:
    name: str
    title: str
    portfolio: Path | None          # None: the bundled default portfolio
    sectors: tuple[str, ...] | None
    mandate: object                 # optimizer.mandate.Mandate


def _treasury_mandate():
    from optimizer.workflows.backtest import treasury_mandate

    return treasury_mandate()


def corporate_mandate(swaps: bool = True):
    """Corporate sector to zero beta-adjusted DV01 with Treasury futures and, while listed,
    swap futures (classic 2002-2013, SOFR from 2023)."""
    from optimizer.mandate import SectorTarget, load_mandate

    inst = ("ZF", "ZN", "ZB") + (("NSF5", "NSF10", "SSF5", "SSF10") if swaps else ())
    return replace(load_mandate(None), name="corporate_zero" + ("" if swaps else "_no_swaps"),
                   description="Corporate sector to zero DV01",
                   targets=(SectorTarget("Corporate", dv01_pct=0.0, tolerance_pct=2.0,
                                         instruments=inst),),
                   max_leverage=1.5, margin_budget_usd=None, max_instruments=6)


def book(name: str) -> Book:
    from optimizer.mandate import load_mandate

    if name == "treasury":
        return Book(name, "Treasury sector of the default portfolio", None, ("Treasury",),
                    _treasury_mandate())
    if name == "default":
        return Book(name, "default portfolio (Treasury, agency, corporate), default mandate",
                    None, None, load_mandate(None))
    if name == "barbell":
        return Book(name, "2-year/30-year Treasury barbell", HERE / "barbell.csv", None,
                    _treasury_mandate())
    if name == "bullet":
        return Book(name, "10-year Treasury bullet", HERE / "bullet.csv", None,
                    _treasury_mandate())
    if name == "corporate":
        return Book(name, "corporate sector of the default portfolio", None, ("Corporate",),
                    corporate_mandate(True))
    if name == "corporate_no_swaps":
        return Book(name, "corporate sector, Treasury futures only", None, ("Corporate",),
                    corporate_mandate(False))
    raise KeyError(f"unknown book {name!r}; books: {', '.join(BOOKS)}")
