"""Futures contract reference data (``data/contracts/*.csv``): sizes, ticks, deliverable rules,
month cycle, initial/maintenance margins with the date they are valid for and their source.

Everything here is data, not code: users override margins with their own file
(``load_margins(path)``), and the deliverable rules carry their own validity dates so a contract
month resolves to the rule in force for it (e.g. ZB 15-25y remaining from March 2015).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from data.csvio import read_user_csv
from data.errors import InputError

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
TREASURY_FUTURES_FILE = CONTRACTS_DIR / "treasury_futures.csv"
DELIVERABLE_RULES_FILE = CONTRACTS_DIR / "deliverable_rules.csv"
SWAP_FUTURES_FILE = CONTRACTS_DIR / "swap_futures.csv"
SOFR_FUTURES_FILE = CONTRACTS_DIR / "sofr_futures.csv"
MARGINS_FILE = CONTRACTS_DIR / "margins.csv"

MARGIN_COLUMNS = ["contract", "initial_usd", "maintenance_usd", "valid_from", "source"]


@dataclass(frozen=True)
class TreasuryFutureSpec:
    """Static terms of a CME Treasury futures contract (one row of treasury_futures.csv)."""

    root: str
    name: str
    contract_size_usd: float
    tick_points: float
    tick_value_usd: float
    month_cycle: str
    cf_rounding: str  # "month" (ZT/Z3N/ZF) or "quarter" (ZN/TN/ZB/UB)
    last_trading_rule: str
    last_delivery_rule: str
    typical_remaining_years: float
    listed_from: pd.Timestamp
    listed_to: pd.Timestamp | None
    legacy_root: str
    source: str


@dataclass(frozen=True)
class DeliverableRule:
    """Deliverable grade in force for contract months in [valid_from, valid_to]."""

    root: str
    valid_from: pd.Timestamp
    valid_to: pd.Timestamp | None
    security_types: tuple[str, ...]
    max_original_months: int | None
    min_remaining_months: int
    max_remaining_months: int | None
    max_remaining_inclusive: bool
    max_remaining_from: str  # "first_day_of_month" | "last_day_of_month"
    term_to: str  # "maturity" | "call_or_maturity"
    cf_coupon_pct: float
    rule_text: str
    source: str


def _opt_int(v) -> int | None:
    return None if pd.isna(v) else int(v)


def _opt_ts(v) -> pd.Timestamp | None:
    return None if pd.isna(v) or v == "" else pd.Timestamp(v)


@cache
def treasury_futures_table() -> pd.DataFrame:
    return pd.read_csv(TREASURY_FUTURES_FILE, dtype={"cme_clearing_code": str})


@cache
def treasury_future_specs() -> dict[str, TreasuryFutureSpec]:
    out = {}
    for r in treasury_futures_table().itertuples(index=False):
        out[r.root] = TreasuryFutureSpec(
            root=r.root, name=r.name, contract_size_usd=float(r.contract_size_usd),
            tick_points=float(r.tick_points), tick_value_usd=float(r.tick_value_usd),
            month_cycle=r.month_cycle, cf_rounding=r.cf_rounding,
            last_trading_rule=r.last_trading_rule, last_delivery_rule=r.last_delivery_rule,
            typical_remaining_years=float(r.typical_remaining_years),
            listed_from=pd.Timestamp(r.listed_from), listed_to=_opt_ts(r.listed_to),
            legacy_root=r.legacy_root, source=r.source)
    return out


@cache
def deliverable_rules_table() -> pd.DataFrame:
    return pd.read_csv(DELIVERABLE_RULES_FILE, parse_dates=["valid_from", "valid_to"])


def deliverable_rule(root: str, contract_month: pd.Timestamp) -> DeliverableRule:
    """The deliverable-grade rule in force for ``root`` and the contract month (1st of month)."""
    t = deliverable_rules_table()
    m = pd.Timestamp(contract_month).normalize().replace(day=1)
    sel = t[(t["root"] == root) & (t["valid_from"] <= m)
            & (t["valid_to"].isna() | (t["valid_to"] >= m))]
    if sel.empty:
        known = t[t["root"] == root]
        span = (f"{known['valid_from'].min().date()} onwards" if not known.empty else "none")
        raise InputError(f"no deliverable-grade rule for {root} in {m:%B %Y} "
                         f"(rules encoded for contract months {span})")
    r = sel.iloc[-1]
    return DeliverableRule(
        root=root, valid_from=r["valid_from"], valid_to=_opt_ts(r["valid_to"]),
        security_types=tuple(str(r["security_types"]).split("|")),
        max_original_months=_opt_int(r["max_original_months"]),
        min_remaining_months=int(r["min_remaining_months"]),
        max_remaining_months=_opt_int(r["max_remaining_months"]),
        max_remaining_inclusive=bool(int(r["max_remaining_inclusive"])),
        max_remaining_from=str(r["max_remaining_from"]), term_to=str(r["term_to"]),
        cf_coupon_pct=float(r["cf_coupon_pct"]), rule_text=str(r["rule_text"]),
        source=str(r["source"]))


@cache
def swap_futures_table() -> pd.DataFrame:
    return pd.read_csv(SWAP_FUTURES_FILE)


@cache
def sofr_futures_table() -> pd.DataFrame:
    return pd.read_csv(SOFR_FUTURES_FILE)


def contract_roots() -> list[str]:
    """Every contract root with reference data (Treasury, swap and SOFR futures)."""
    return (list(treasury_futures_table()["root"]) + list(swap_futures_table()["root"])
            + list(sofr_futures_table()["root"]))


def treasury_roots() -> tuple[str, ...]:
    """The Treasury futures roots (ZT Z3N ZF ZN TN ZB UB), from treasury_futures.csv."""
    return tuple(treasury_futures_table()["root"])


#: swap_futures.csv ``kind`` -> instrument kind
_SWAP_KINDS = {"sofr_swap_npv": "sofr_swap_future", "classic_cash_settled": "classic_swap_future"}


@cache
def contract_terms_table() -> pd.DataFrame:
    """One row per contract root across the three contract files, with the columns every
    contract has: root, kind (treasury_future | sofr_swap_future | classic_swap_future |
    sofr_future), name, point_value_usd (USD per 1.00 of quoted price), tick_points,
    tick_value_usd, quote_style (32nds | decimal | usd_per_contract), month_cycle, listed_from,
    listed_to, source."""
    cols = ["root", "kind", "name", "point_value_usd", "tick_points", "tick_value_usd",
            "quote_style", "month_cycle", "listed_from", "listed_to", "source"]
    t = treasury_futures_table().assign(kind="treasury_future")
    sw = swap_futures_table()
    sw = sw.assign(kind=sw["kind"].map(_SWAP_KINDS))
    so = sofr_futures_table().assign(kind="sofr_future", listed_to=np.nan)
    out = pd.concat([t[cols], sw[cols], so[cols]], ignore_index=True)
    if out["kind"].isna().any():  # pragma: no cover - data error
        raise ValueError("swap_futures.csv has an unknown kind")
    out["listed_from"] = pd.to_datetime(out["listed_from"])
    out["listed_to"] = pd.to_datetime(out["listed_to"])
    return out


def load_margins(path: str | Path | None = None) -> pd.DataFrame:
    """Initial/maintenance margins per contract with the date each is valid from and its source.

    ``path=None`` loads the bundled ``data/contracts/margins.csv`` (figures marked
    ``approximate`` in its ``confidence`` column). A user file needs the columns
    contract, initial_usd, maintenance_usd, valid_from, source (optional: confidence, note);
    any problem raises :class:`InputError` naming file, row and column.
    """
    if path is None:  # the bundled file is read and validated once per process
        return _bundled_margins().copy()
    return _read_margins(Path(path))


@cache
def _bundled_margins() -> pd.DataFrame:
    return _read_margins(MARGINS_FILE)


def _read_margins(p: Path) -> pd.DataFrame:
    name = str(p)
    df = read_user_csv(p, "margins file", MARGIN_COLUMNS)
    out = pd.DataFrame({"contract": df["contract"].str.strip().str.upper()})
    for i, v in enumerate(out["contract"]):
        if not v:
            raise InputError("empty contract", file=name, row=i + 2, column="contract")
    for col in ("initial_usd", "maintenance_usd"):
        vals = []
        for i, v in enumerate(df[col]):
            try:
                f = float(str(v).replace(",", "").replace("$", ""))
            except ValueError:
                raise InputError(f"not a number: '{v}'", file=name, row=i + 2, column=col) from None
            if not np.isfinite(f) or f <= 0:
                raise InputError(f"margin must be a positive USD amount, got '{v}'",
                                 file=name, row=i + 2, column=col)
            vals.append(f)
        out[col] = vals
    dates = []
    for i, v in enumerate(df["valid_from"]):
        try:
            dates.append(pd.Timestamp(str(v).strip()).normalize())
        except (ValueError, TypeError):
            raise InputError(f"unparseable date '{v}' (expected YYYY-MM-DD)",
                             file=name, row=i + 2, column="valid_from") from None
        if pd.isna(dates[-1]):
            raise InputError("missing date", file=name, row=i + 2, column="valid_from")
    out["valid_from"] = dates
    for i, (ini, mnt) in enumerate(zip(out["initial_usd"], out["maintenance_usd"], strict=True)):
        if ini < mnt:
            raise InputError(f"initial margin {ini:,.0f} below maintenance {mnt:,.0f}",
                             file=name, row=i + 2, column="initial_usd")
    out["source"] = df["source"].str.strip()
    out["confidence"] = df["confidence"].str.strip() if "confidence" in df else "user"
    out["note"] = df["note"] if "note" in df else ""
    dup = out.duplicated(["contract", "valid_from"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError("duplicate contract and valid_from", file=name, row=i + 2,
                         column="contract")
    out = out.sort_values(["contract", "valid_from"]).reset_index(drop=True)
    out.attrs["bundled"] = p == MARGINS_FILE
    return out


#: A bundled margin fact is used as is for this many days after its effective date; beyond
#: that (or before it), it is scaled by the contract's volatility (CME sets margins to cover a
#: 1-2 day move and reviews them as volatility changes).
MARGIN_FACT_DAYS = 365


def margin_for(root: str, asof, margins: pd.DataFrame | None = None) -> dict:
    """The margin of ``root`` on ``asof``.

    A user's file (``load_margins(path)``): the latest row with ``valid_from <= asof`` as given
    (else the earliest row, flagged ``stale``). The bundled table (point in time): the fact in
    force on ``asof`` if it took effect within ``MARGIN_FACT_DAYS`` before; otherwise the nearest
    fact in time, scaled by ``margin_volatility(root, asof) / margin_volatility(root, fact
    date)``, marked ``basis = "volatility-scaled"`` and ``stale``: a bundled 2025 level is never
    used as the margin of 2005. Raises InputError when the contract has no margin."""
    if margins is None:  # the bundled table is read once and never changes: cached
        return dict(_bundled_margin(root.upper(), pd.Timestamp(asof)))
    return _margin_from(root, asof, margins)


@cache
def _bundled_margin(root: str, asof: pd.Timestamp) -> dict:
    """The bundled table's margin of ``root`` on ``asof``, once per process (8 contracts x
    pandas filtering were 9 ms of every hedge)."""
    return _margin_from(root, asof, _bundled_margins())


def _margin_from(root: str, asof, m: pd.DataFrame) -> dict:
    rows = m[m["contract"] == root.upper()]
    if rows.empty:
        raise InputError(f"no margin for contract '{root}' in the margins file")
    ts = pd.Timestamp(asof)
    valid = rows[rows["valid_from"] <= ts]
    if not m.attrs.get("bundled", False):
        stale = valid.empty
        row = (rows.iloc[0] if stale else valid.iloc[-1]).to_dict()
        row.update(stale=bool(stale), basis="as given")
        return row
    if not valid.empty and (ts - valid["valid_from"].iloc[-1]).days <= MARGIN_FACT_DAYS:
        return {**valid.iloc[-1].to_dict(), "stale": False, "basis": "fact"}
    gap = (rows["valid_from"] - ts).abs()
    fact = rows.loc[gap.idxmin()].to_dict()
    k = margin_volatility(root, ts) / margin_volatility(root, fact["valid_from"])
    return {**fact, "initial_usd": float(fact["initial_usd"]) * k,
            "maintenance_usd": float(fact["maintenance_usd"]) * k, "stale": True,
            "basis": "volatility-scaled", "scale": k,
            "source": f"{fact['source']}; scaled x{k:.2f} by the contract's volatility from "
                      f"{pd.Timestamp(fact['valid_from']).date()} to {ts.date()} (estimate)"}


def _margin_term_years(root: str) -> float:
    specs = treasury_future_specs()
    if root in specs:
        return specs[root].typical_remaining_years
    sw = swap_futures_table().set_index("root")
    if root in sw.index:
        return float(sw.loc[root, "tenor_years"])
    return 0.25  # SR3: a three-month rate


def margin_volatility(root: str, asof, days: int = 63) -> float:
    """Volatility proxy of one contract's daily value change (per 100 of par): the stdev of the
    daily change of the Treasury par yield at the contract's typical term over the ``days``
    curve dates up to ``asof`` (bp), times the DV01 of a par bond of that term at that yield.
    Only data on or before ``asof``."""
    from data.loaders import TENOR_YEARS, par_curve_history_pct

    T = _margin_term_years(root.upper())
    hist = par_curve_history_pct().loc[: pd.Timestamp(asof)].iloc[-(days + 1):]
    t = np.array([TENOR_YEARS[c] for c in hist.columns])
    y = np.array([np.interp(T, t[np.isfinite(r)], r[np.isfinite(r)])
                  for r in hist.to_numpy()]) / 100.0
    sd_bp = float(np.std(np.diff(y) * 1e4, ddof=1))
    yl = max(float(y[-1]), 1e-4)
    dv01 = (1.0 - (1.0 + yl / 2.0) ** (-2.0 * T)) / yl * 100.0 * 1e-4   # par bond, per 100
    return max(sd_bp * dv01, 1e-9)
