"""The one set of mandate flags (SPEC §8): every verb that builds a hedge takes them.

``hedge``, ``rebalance``, ``scenarios`` and ``frontier`` call :func:`add_hedge_flags` (portfolio
and mandate flags, one name each) and turn the parsed flags into a typed request with
:func:`mandate_from_args` / :func:`portfolio_options`. A flag given overrides the mandate file;
one function (:func:`apply_mandate_flags`, via :func:`optimizer.mandate.apply_overrides`) applies
them, so a flag means the same thing in every verb.

Flags (all optional; defaults are the mandate file's, ``data/mandates/default.toml``):

=====================  ===============================================================
``--portfolio``        holdings file (CSV/XLSX/Parquet); default the bundled portfolio
``--mandate``          mandate TOML
``--asof``             as-of date YYYY-MM-DD (default: latest bundled curve date)
``--instruments``      contract roots or months allowed (restricts the mandate's lists)
``--target``           SECTOR=VALUE, repeatable (USD, % of current, or 4.5y duration)
``--target-duration``  whole-portfolio duration target in years (replaces sector targets)
``--max-leverage``     gross futures notional / |portfolio MV|
``--margin-budget``    initial-margin budget, USD
``--margins``          the clearing firm's margins CSV
``--max-instruments``  at most K contracts with a nonzero position
``--turnover``         at most N contracts traded, sum |h - h0|
``--no-betas``         plain model DV01s instead of beta-adjusted sector DV01s
``--key-tenors``       key tenors (default 2Y..30Y)
``--window``           risk-model lookback window (default 3y)
``--time-limit``       integer solver time limit, seconds
=====================  ===============================================================

The CLI-validation layer attaches argparse ``type=`` checkers to these flags (dates, signs and
ranges); this module only names them and maps them to the mandate.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from optimizer import validate as V

if TYPE_CHECKING:  # the mandate module (and pandas behind it) loads only when a verb runs
    from optimizer.mandate import Mandate

#: every mandate flag's argparse ``dest`` (what :func:`apply_mandate_flags` reads)
MANDATE_DESTS = ("target", "target_duration", "instruments", "max_leverage", "margin_budget",
                 "max_instruments", "turnover", "no_betas")


def add_portfolio_flags(p: argparse.ArgumentParser) -> None:
    """Which portfolio, on which date, with which risk model."""
    p.add_argument("--portfolio", help="holdings file (CSV/XLSX/Parquet); default: the bundled "
                   "default portfolio data/portfolios/default.csv")
    p.add_argument("--asof", type=V.arg(V.market_date_text),
                   help="as-of date YYYY-MM-DD (default: latest bundled curve date)")
    p.add_argument("--key-tenors", type=V.arg(V.key_tenors_text),
                   help="key tenors, e.g. 2Y,5Y,10Y,30Y (default 2Y..30Y)")
    p.add_argument("--window", default="3y", type=V.arg(V.window),
                   help="risk-model lookback window (default 3y)")


def add_mandate_flags(p: argparse.ArgumentParser) -> None:
    """The mandate: targets, instruments and limits (each overrides the mandate file)."""
    p.add_argument("--mandate", help="mandate TOML; default: data/mandates/default.toml")
    p.add_argument("--instruments", type=V.arg(V.instruments_text), help="comma-separated contract roots or months allowed, "
                   "e.g. ZT,ZF,ZN,SSF10 (restricts the mandate's lists)")
    p.add_argument("--target", action="append", metavar="SECTOR=VALUE", type=V.arg(V.target_text),
                   help="sector DV01 target: USD (Treasury=0), %% of current (Corporate=50%%) or "
                   "sector duration (Corporate=4.5y); repeatable")
    p.add_argument("--target-duration", type=V.arg(V.duration_years), metavar="YEARS",
                   help="whole-portfolio duration target, years (replaces the sector targets; "
                   "constrains the beta-adjusted portfolio DV01)")
    p.add_argument("--max-leverage", type=V.arg(V.max_leverage), metavar="X",
                   help="gross futures notional / |portfolio MV|, e.g. 0.6 (mandate default 0.60)")
    p.add_argument("--margin-budget", type=V.arg(V.margin_budget_usd), metavar="USD",
                   help="initial-margin budget in USD (mandate default $12M)")
    p.add_argument("--margins", metavar="FILE", help="CSV of your clearing firm's margins "
                   "(contract, initial_usd, maintenance_usd, valid_from, source)")
    p.add_argument("--max-instruments", type=V.arg(V.max_instruments), metavar="K",
                   help="at most K contracts with a nonzero position (mandate default 6)")
    p.add_argument("--turnover", type=V.arg(V.turnover), metavar="N",
                   help="at most N contracts traded in total, sum |h - h0| (mandate default off)")
    p.add_argument("--no-betas", action="store_true",
                   help="plain model DV01s instead of beta-adjusted sector DV01s")
    p.add_argument("--time-limit", type=V.arg(V.time_limit_s), default=10.0,
                   help="mixed-integer solver time limit, seconds (default 10)")


def add_hedge_flags(p: argparse.ArgumentParser) -> None:
    """Portfolio + mandate flags: what every hedge-building verb takes."""
    add_portfolio_flags(p)
    add_mandate_flags(p)


def _instrument_list(text: Any) -> list[str] | None:
    if text is None:
        return None
    if isinstance(text, (list, tuple)):
        return [str(s).strip().upper() for s in text if str(s).strip()]
    return [s.strip().upper() for s in str(text).split(",") if s.strip()]


def apply_mandate_flags(mandate: Mandate, args: argparse.Namespace) -> Mandate:
    """The mandate with every mandate flag given on the command line applied (flag wins)."""
    from optimizer.mandate import apply_overrides

    def g(name: str) -> Any:
        return getattr(args, name, None)  # a verb without the flag: None

    return apply_overrides(
        mandate, targets=g("target"), target_duration=g("target_duration"),
        instruments=_instrument_list(g("instruments")), max_leverage=g("max_leverage"),
        margin_budget_usd=g("margin_budget"), max_instruments=g("max_instruments"),
        turnover=g("turnover"), betas=False if g("no_betas") else None)


def mandate_from_args(args: argparse.Namespace) -> Mandate:
    """``--mandate`` file (default: the embedded default) with the flags applied."""
    from optimizer.mandate import load_mandate

    return apply_mandate_flags(load_mandate(getattr(args, "mandate", None)), args)


def portfolio_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword options of a workflow request from the portfolio flags: ``holdings``, ``asof``,
    ``key_tenors``, ``window``, ``margins`` (path or None), ``time_limit``."""
    from models.curves import parse_key_tenors

    kt = getattr(args, "key_tenors", None)
    return {"holdings": getattr(args, "portfolio", None), "asof": getattr(args, "asof", None),
            "key_tenors": list(parse_key_tenors(kt)) if kt else None,
            "window": getattr(args, "window", None) or "3y",
            "margins": getattr(args, "margins", None),
            "time_limit": float(getattr(args, "time_limit", None) or 10.0)}


__all__ = ["MANDATE_DESTS", "add_portfolio_flags", "add_mandate_flags", "add_hedge_flags",
           "apply_mandate_flags", "mandate_from_args", "portfolio_options"]
