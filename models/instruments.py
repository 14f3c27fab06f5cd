"""One view of every hedge instrument the optimizer can use (per contract held long).

Treasury futures (ZT Z3N ZF ZN TN ZB UB) come from their deliverable basket (CTD / CF),
SOFR swap futures (SSF2..SSF30) and classic swap futures (NSF5, NSF10) from their swap-curve
models, SR3 from its reference quarter. Each is reduced to :class:`InstrumentRisk`: DV01 and
key-rate DV01s (USD per contract, DV01 sign), its exposure to the swap-spread factor, notional and
initial margin. ``front_contract`` picks the contract month to trade on a date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.contracts import (
    load_margins,
    margin_for,
    sofr_futures_table,
    swap_futures_table,
    treasury_future_specs,
)
from data.errors import InputError
from data.loaders import tenor_to_years
from models import calendar as cal
from models.contract_codes import format_contract, parse_contract

TREASURY_ROOTS = ("ZT", "Z3N", "ZF", "ZN", "TN", "ZB", "UB")
SWAP_SPREAD_FACTOR = "swap_spread"
DEFAULT_ROLL_DAYS = 5  # business days before first notice day (SPEC §7)


@dataclass(frozen=True)
class InstrumentRisk:
    """Per-contract risk of one hedge instrument (long one contract). USD, DV01 sign."""

    root: str
    contract: str                    # e.g. "ZNU5"
    kind: str                        # "treasury_future" | "sofr_swap_future" | "classic_swap_future" | "sofr_future"
    price: float                     # per 100 (classic swap future: per 100,000 notional)
    dv01_usd: float
    key_rate_dv01: dict[str, float]  # on the requested key tenors, sums to ~dv01_usd
    swap_spread_dv01_usd: float      # exposure to the swap-spread factor (swap futures only)
    notional_usd: float              # per contract: size x price / 100
    initial_margin_usd: float
    margin_source: str
    description: str = ""
    flags: tuple[str, ...] = field(default_factory=tuple)


def instrument_kind(root: str) -> str:
    root = root.upper()
    if root in TREASURY_ROOTS:
        return "treasury_future"
    sw = swap_futures_table()
    row = sw[sw["root"] == root]
    if not row.empty:
        return "sofr_swap_future" if row.iloc[0]["kind"] == "sofr_swap_npv" else "classic_swap_future"
    if root in set(sofr_futures_table()["root"]):
        return "sofr_future"
    known = list(TREASURY_ROOTS) + list(sw["root"]) + list(sofr_futures_table()["root"])
    raise InputError(f"unknown instrument '{root}' (known roots: {', '.join(known)})")


def _split_root(code: str) -> str:
    code = code.strip().upper()
    try:
        return parse_contract(code).root
    except InputError:
        instrument_kind(code)  # raises with the list of known roots if it is not a root either
        return code


def front_contract(root: str, asof, roll_days: int = DEFAULT_ROLL_DAYS) -> str:
    """The contract month a hedger trades on ``asof``: the nearest quarterly (H M U Z) contract
    not yet inside its roll window (``roll_days`` business days before first notice day for
    Treasury futures; before the third Wednesday of the month for swap and SOFR futures)."""
    from models.futures import contract_calendar  # local: futures imports curves/bonds

    root = root.upper()
    kind = instrument_kind(root)
    asof = pd.Timestamp(asof).normalize()
    month = pd.Timestamp(year=asof.year, month=asof.month, day=1)
    for k in range(0, 15):
        m = month + pd.DateOffset(months=k)
        if m.month not in (3, 6, 9, 12):
            continue
        code = format_contract(root, m.year, m.month)
        if kind == "treasury_future":
            fnd = contract_calendar(code, asof).first_notice_day
            if asof < cal.add_business_days(fnd, -roll_days):
                return code
        else:
            third_wed = pd.Timestamp(year=m.year, month=m.month, day=15)
            third_wed += pd.Timedelta(days=(2 - third_wed.weekday()) % 7)
            if asof < cal.add_business_days(third_wed, -roll_days):
                return code
    raise InputError(f"no tradable {root} contract found after {asof.date()}")  # pragma: no cover


def map_to_key_tenors(krd: dict[str, float], key_tenors: list[str]) -> dict[str, float]:
    """Re-express key-rate DV01s given on other tenors (e.g. a swap curve's 1Y, 4Y) on our key
    tenors by linear interpolation weights (flat beyond the ends). Preserves the total."""
    keys_y = np.array([tenor_to_years(k) for k in key_tenors])
    out = dict.fromkeys(key_tenors, 0.0)
    for label, v in krd.items():
        if not v:
            continue
        t = tenor_to_years(label)
        if t <= keys_y[0]:
            out[key_tenors[0]] += v
        elif t >= keys_y[-1]:
            out[key_tenors[-1]] += v
        else:
            j = int(np.searchsorted(keys_y, t))
            lo, hi = keys_y[j - 1], keys_y[j]
            w = (hi - t) / (hi - lo)
            out[key_tenors[j - 1]] += w * v
            out[key_tenors[j]] += (1 - w) * v
    return {k: float(v) for k, v in out.items()}


def instrument_risk(code: str, asof, key_tenors: list[str], *, repo: float | None = None,
                    margins: pd.DataFrame | None = None,
                    swap_spread_bp: float | dict | None = None) -> InstrumentRisk:
    """Risk of one contract (``ZNU5``) or of a root's front contract (``ZN``) on ``asof``."""
    from models.futures import futures_risk
    from models.sofr_futures import sr3_risk
    from models.swap_futures import classic_risk, sofr_swap_future_risk, swap_curve

    asof = pd.Timestamp(asof).normalize()
    raw = code.strip().upper()
    root = _split_root(raw)
    contract = front_contract(root, asof) if raw == root else parse_contract(raw, asof).code
    kind = instrument_kind(root)
    margins = load_margins() if margins is None else margins
    m = margin_for(root, asof, margins)
    im = float(m["initial_usd"])
    msrc = f"{m.get('source', '')} (valid from {pd.Timestamp(m['valid_from']).date()}, {m.get('confidence', '')})"
    if kind == "treasury_future":
        fr = futures_risk(contract, asof, repo=repo, key_tenors=tuple(key_tenors))
        spec = treasury_future_specs()[root]
        return InstrumentRisk(
            root=root, contract=fr.contract, kind=kind, price=fr.price,
            dv01_usd=fr.dv01_usd_per_contract,
            key_rate_dv01=map_to_key_tenors(fr.key_rate_dv01, key_tenors),
            swap_spread_dv01_usd=0.0, notional_usd=fr.notional_usd, initial_margin_usd=im,
            margin_source=msrc,
            description=(f"{spec.name}; CTD {fr.ctd['cusip']} {fr.ctd['coupon']:.3f}% "
                         f"{pd.Timestamp(fr.ctd['maturity']).date()} CF {fr.conversion_factor:.4f}"),
            flags=tuple(fr.flags))
    if kind in ("sofr_swap_future", "classic_swap_future"):
        if kind == "sofr_swap_future":
            r = sofr_swap_future_risk(root, asof=asof, spread_bp=swap_spread_bp)
            desc = f"SOFR swap future {int(r.tenor_years)}y, par swap {r.swap_rate_pct:.3f}%"
            flags = tuple(r.flags)
        else:
            tenor = float(swap_futures_table().set_index("root").loc[root, "tenor_years"])
            curve, curve_flags = swap_curve(asof, spread_bp=swap_spread_bp)
            t = [tenor_to_years(k) for k in curve.index]
            rate_pct = float(np.interp(tenor, t, curve.to_numpy())) * 100.0
            r = classic_risk(rate_pct, tenor, contract=root)
            desc = f"classic {int(tenor)}y swap future at {rate_pct:.3f}%"
            flags = tuple(r.flags) + tuple(curve_flags)
        return InstrumentRisk(
            root=root, contract=contract, kind=kind, price=r.price, dv01_usd=r.dv01_usd_per_contract,
            key_rate_dv01=map_to_key_tenors(r.key_rate_dv01, key_tenors),
            # a swap future's value moves with the swap rate = Treasury par + swap spread
            swap_spread_dv01_usd=r.dv01_usd_per_contract, notional_usd=r.notional_usd,
            initial_margin_usd=im, margin_source=msrc, description=desc, flags=flags)
    # no SR3 settlement data is bundled: price off today's SOFR (a flat forward), flagged
    from data.loaders import sofr_on
    sofr_date, sofr_dec = sofr_on(asof)
    r = sr3_risk(contract, asof, rate_pct=sofr_dec * 100.0)
    r.flags.append(f"sr3_rate_is_spot_sofr ({sofr_dec * 100:.2f}% on {sofr_date.date()}; "
                   "no SR3 settlement prices bundled)")
    return InstrumentRisk(
        root=root, contract=contract, kind=kind, price=r.price, dv01_usd=r.dv01_usd_per_contract,
        key_rate_dv01=map_to_key_tenors(r.key_rate_dv01, key_tenors), swap_spread_dv01_usd=0.0,
        notional_usd=r.notional_usd, initial_margin_usd=im, margin_source=msrc,
        description="Three-month SOFR future", flags=tuple(r.flags))
