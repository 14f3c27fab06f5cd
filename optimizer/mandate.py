"""Hedge mandates: TOML files (``data/mandates/``) parsed into a typed :class:`Mandate`.

Every CLI flag overrides the file (``apply_overrides``). A mandate names, per sector, a target
(exactly one of ``dv01_usd``, ``dv01_pct`` of the sector's current DV01, or ``duration`` in
years for the sector), a tolerance (``tolerance_usd`` or ``tolerance_pct`` of current DV01) and
the instruments that may hedge it (contract roots such as ``ZN`` or ``SFS10``; the front
contract on the as-of date is used). A whole-portfolio duration target
(``target_duration``) replaces the sector targets by one portfolio DV01 target.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from data.errors import InputError
from data.loaders import MANDATES_DIR
from optimizer import validate

DEFAULT_MANDATE = MANDATES_DIR / "default.toml"
DEFAULT_TOLERANCE_PCT = 2.0  # band around a sector target when the mandate gives none


@dataclass(frozen=True)
class SectorTarget:
    sector: str
    dv01_usd: float | None = None
    dv01_pct: float | None = None        # percent of the sector's current DV01
    duration: float | None = None        # target modified duration of the sector, years
    tolerance_usd: float | None = None
    tolerance_pct: float = DEFAULT_TOLERANCE_PCT  # percent of current DV01 (usd wins if given)
    instruments: tuple[str, ...] = ()
    #: where the target was given: "" (the mandate file or Python) or "--target TEXT"; error
    #: messages name it (optimizer.validate.mandate_sectors)
    origin: str = field(default="", compare=False)


@dataclass(frozen=True)
class Mandate:
    name: str = "custom"
    description: str = ""
    targets: tuple[SectorTarget, ...] = ()
    target_duration: float | None = None          # whole-portfolio duration target (years)
    target_duration_tolerance: float = 0.02       # years
    instruments: tuple[str, ...] | None = None    # global restriction (``--instruments``)
    betas: bool = True
    cost_weight: float = 0.0
    max_leverage: float | None = None             # leverage measure / portfolio MV
    leverage_measure: str = "gross_notional"      # LEVERAGE_MEASURES: what max_leverage counts
    margin_budget_usd: float | None = None
    no_net_short: bool = True
    max_instruments: int | None = None
    turnover: int | None = None                   # contracts, sum |h - h0|
    contract_bounds: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    key_rate_bands: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    source: str = "<built-in>"

    def target_for(self, sector: str) -> SectorTarget | None:
        for t in self.targets:
            if t.sector.lower() == sector.lower():
                return t
        return None

    def summary(self) -> dict[str, str]:
        """The mandate as ``{constraint: value text}`` (the reports' "Mandate" table)."""
        out = {"name": self.name, "source": str(self.source)}
        for t in self.targets:
            kind = (f"DV01 ${t.dv01_usd:,.0f}" if t.dv01_usd is not None else
                    f"{t.dv01_pct:g}% of current DV01" if t.dv01_pct is not None else
                    f"duration {t.duration:g}y")
            tol = (f"${t.tolerance_usd:,.0f}" if t.tolerance_usd is not None
                   else f"{t.tolerance_pct:g}% of current DV01")
            out[f"target {t.sector}"] = (f"{kind} +/- {tol} with "
                                         f"{', '.join(t.instruments) or 'any instrument'}")
        if self.target_duration is not None:
            out["portfolio duration"] = (f"{self.target_duration:g}y +/- "
                                         f"{self.target_duration_tolerance:g}y (beta-adjusted "
                                         "DV01 / |MV|)" if self.betas else
                                         f"{self.target_duration:g}y +/- "
                                         f"{self.target_duration_tolerance:g}y")
        if self.instruments:
            out["instruments"] = ", ".join(self.instruments)
        out["betas"] = "on (beta-adjusted sector DV01)" if self.betas else "off"
        if self.max_leverage is not None:
            out["max leverage"] = (f"{self.max_leverage:.0%} of |portfolio MV| "
                                   f"({self.leverage_measure.replace('_', ' ')})")
        if self.margin_budget_usd is not None:
            out["margin budget"] = f"${self.margin_budget_usd:,.0f}"
        if self.max_instruments is not None:
            out["max instruments"] = str(self.max_instruments)
        if self.turnover is not None:
            out["turnover"] = f"{self.turnover:,d} contracts"
        out["no net short duration"] = "yes" if self.no_net_short else "no"
        for root, (lo, hi) in self.contract_bounds.items():
            out[f"bounds {root}"] = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
        for tenor, (lo, hi) in self.key_rate_bands.items():
            out[f"key-rate band {tenor}"] = (f"[{'-inf' if lo is None else f'{lo:,.0f}'}, "
                                             f"{'inf' if hi is None else f'{hi:,.0f}'}] USD/bp")
        return out


def as_mandate(m: Mandate | str | Path | None) -> Mandate:
    """A Mandate as given, else read from a TOML path (``None``: the embedded default)."""
    return m if isinstance(m, Mandate) else load_mandate(m)


def _num(tbl: dict, key: str, where: str, *, integer: bool = False, minimum: float | None = None):
    if key not in tbl:
        return None
    v = tbl[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputError(f"{where}.{key} must be a number, got {v!r}")
    if integer and int(v) != v:
        raise InputError(f"{where}.{key} must be a whole number, got {v!r}")
    if minimum is not None and v < minimum:
        raise InputError(f"{where}.{key} must be >= {minimum}, got {v!r}")
    return int(v) if integer else float(v)


_TARGET_KEYS = {"dv01_usd", "dv01_pct", "duration", "tolerance_usd", "tolerance_pct", "instruments"}
_LIMIT_KEYS = {"max_leverage", "margin_budget_usd", "no_net_short", "max_instruments", "turnover",
               "target_duration", "target_duration_tolerance", "leverage_measure"}
#: What ``max_leverage`` counts per contract (``leverage_weights``).
LEVERAGE_MEASURES = ("gross_notional", "ten_year_equivalent", "dv01_weighted")


def leverage_weights(measure: str, notional_usd, dv01_usd, ten_year_dv01_usd: float,
                     ten_year_notional_usd: float, portfolio_dv01_usd: float,
                     portfolio_mv_usd: float):
    """USD each contract counts against ``max_leverage x portfolio MV``:

    * ``gross_notional``: its notional (size x price / 100): long-dated contracts count as much
      as short ones per dollar, so the cap favours them;
    * ``ten_year_equivalent``: the notional of the 10-year note futures with the same DV01,
      DV01 / DV01(ZN) x notional(ZN);
    * ``dv01_weighted``: its DV01 x portfolio MV / portfolio DV01, so that the cap reads
      "hedge DV01 at most max_leverage x the portfolio's DV01".
    """
    import numpy as np

    n = np.abs(np.asarray(notional_usd, dtype=float))
    d = np.abs(np.asarray(dv01_usd, dtype=float))
    if measure == "gross_notional":
        return n
    if measure == "ten_year_equivalent":
        return d / abs(ten_year_dv01_usd) * abs(ten_year_notional_usd)
    if measure == "dv01_weighted":
        if not portfolio_dv01_usd:
            raise InputError("leverage_measure dv01_weighted needs a portfolio with DV01")
        return d * abs(portfolio_mv_usd) / abs(portfolio_dv01_usd)
    raise InputError(f"limits.leverage_measure must be one of {', '.join(LEVERAGE_MEASURES)}, "
                     f"not {measure!r}")


def load_mandate(path: str | Path | None = None) -> Mandate:
    """Read a mandate TOML file (default: the embedded default mandate)."""
    path = validate.input_file(path if path is not None else DEFAULT_MANDATE, "mandate",
                               what="mandate file")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a valid TOML mandate: {exc}", file=str(path)) from exc
    try:
        m = _parse(doc, str(path))
    except InputError as exc:
        raise InputError(exc.message, file=str(path)) from exc
    validate.mandate_values(m)  # ranges and consistency, naming the file and line
    return m


def _bool(tbl: dict, key: str, default: bool) -> bool:
    v = tbl.get(key, default)
    if not isinstance(v, bool):
        raise InputError(f"{key} must be true or false, got {v!r}")
    return v


def _parse(doc: dict, source: str) -> Mandate:
    targets = []
    for sector, tbl in (doc.get("targets") or {}).items():
        where = f"targets.{sector}"
        if not isinstance(tbl, dict):
            raise InputError(f"{where} must be a table")
        unknown = set(tbl) - _TARGET_KEYS
        if unknown:
            raise InputError(f"{where}: unknown key(s) {sorted(unknown)}")
        given = [k for k in ("dv01_usd", "dv01_pct", "duration") if k in tbl]
        if len(given) != 1:
            raise InputError(f"{where}: give exactly one of dv01_usd, dv01_pct, duration")
        instruments = tbl.get("instruments", [])
        if not isinstance(instruments, list) or not all(isinstance(s, str) for s in instruments):
            raise InputError(f"{where}.instruments must be a list of contract roots")
        targets.append(SectorTarget(
            sector=sector,
            dv01_usd=_num(tbl, "dv01_usd", where),
            dv01_pct=_num(tbl, "dv01_pct", where),
            duration=_num(tbl, "duration", where, minimum=0.0),
            tolerance_usd=_num(tbl, "tolerance_usd", where, minimum=0.0),
            tolerance_pct=(_num(tbl, "tolerance_pct", where, minimum=0.0)
                           if "tolerance_pct" in tbl else DEFAULT_TOLERANCE_PCT),
            instruments=tuple(s.strip().upper() for s in instruments),
        ))
    limits = doc.get("limits") or {}
    unknown = set(limits) - _LIMIT_KEYS
    if unknown:
        raise InputError(f"limits: unknown key(s) {sorted(unknown)}")
    bounds = {}
    for root, b in (doc.get("contract_bounds") or {}).items():
        if not isinstance(b, dict):
            raise InputError(f"contract_bounds.{root} must be a table with min/max")
        lo = _num(b, "min", f"contract_bounds.{root}", integer=True)
        hi = _num(b, "max", f"contract_bounds.{root}", integer=True)
        bounds[root.upper()] = (lo, hi)
    bands = {}
    for tenor, b in (doc.get("key_rate_bands") or {}).items():
        if not isinstance(b, dict):
            raise InputError(f"key_rate_bands.{tenor} must be a table with min_usd/max_usd")
        bands[tenor.upper()] = (_num(b, "min_usd", f"key_rate_bands.{tenor}"),
                                _num(b, "max_usd", f"key_rate_bands.{tenor}"))
    nns = limits.get("no_net_short", True)
    if not isinstance(nns, bool):
        raise InputError(f"limits.no_net_short must be true or false, got {nns!r}")
    measure = limits.get("leverage_measure", "gross_notional")
    if measure not in LEVERAGE_MEASURES:
        raise InputError(f"limits.leverage_measure must be one of {', '.join(LEVERAGE_MEASURES)},"
                         f" not {measure!r}")
    return Mandate(
        name=str(doc.get("name", Path(source).stem)),
        description=str(doc.get("description", "")),
        targets=tuple(targets),
        target_duration=_num(limits, "target_duration", "limits", minimum=0.0),
        target_duration_tolerance=_num(limits, "target_duration_tolerance", "limits",
                                       minimum=0.0) or 0.02,
        betas=_bool(doc, "betas", True),
        cost_weight=_num(doc, "cost_weight", "mandate") or 0.0,
        max_leverage=_num(limits, "max_leverage", "limits", minimum=0.0),
        leverage_measure=measure,
        margin_budget_usd=_num(limits, "margin_budget_usd", "limits", minimum=0.0),
        no_net_short=nns,
        max_instruments=_num(limits, "max_instruments", "limits", integer=True, minimum=1),
        turnover=_num(limits, "turnover", "limits", integer=True, minimum=0),
        contract_bounds=bounds,
        key_rate_bands=bands,
        source=source,
    )


def parse_target_flag(text: str) -> tuple[str, dict]:
    """``--target SECTOR=VALUE``: ``Treasury=0`` (USD DV01), ``Corporate=50%`` (% of current),
    ``Corporate=4.5y`` (sector duration in years). See :func:`optimizer.validate.target_flag`."""
    return validate.target_flag(text, "--target")


def apply_overrides(m: Mandate, *, targets: list[str] | None = None,
                    target_duration: float | None = None, instruments: list[str] | None = None,
                    max_leverage: float | None = None, margin_budget_usd: float | None = None,
                    max_instruments: int | None = None, turnover: int | None = None,
                    betas: bool | None = None) -> Mandate:
    """CLI flags override the mandate file (a flag given = its value wins). Each value is
    checked by :mod:`optimizer.validate` under its field name (the CLI shows the flag)."""
    new_targets = list(m.targets)
    for text in targets or []:
        sector, spec = validate.target_flag(text, "targets")
        old = m.target_for(sector)
        base = old if old is not None else SectorTarget(sector=sector)
        upd = replace(base, **{"dv01_usd": None, "dv01_pct": None, "duration": None, **spec},
                      origin=f"--target {text}")
        new_targets = [t for t in new_targets if t.sector.lower() != sector.lower()] + [upd]
    kw: dict = {"targets": tuple(new_targets)}
    target_duration, max_leverage, margin_budget_usd, max_instruments, turnover = (
        None if v is None else check(v, name) for v, check, name in (
            (target_duration, validate.duration_years, "target_duration"),
            (max_leverage, validate.max_leverage, "max_leverage"),
            (margin_budget_usd, validate.margin_budget_usd, "margin_budget_usd"),
            (max_instruments, validate.max_instruments, "max_instruments"),
            (turnover, validate.turnover, "turnover")))
    if target_duration is not None:
        kw["target_duration"] = target_duration
    if instruments:
        kw["instruments"] = tuple(s.strip().upper() for s in instruments if s.strip())
    if max_leverage is not None:
        kw["max_leverage"] = max_leverage
    if margin_budget_usd is not None:
        kw["margin_budget_usd"] = margin_budget_usd
    if max_instruments is not None:
        kw["max_instruments"] = max_instruments
    if turnover is not None:
        kw["turnover"] = turnover
    if betas is not None:
        kw["betas"] = betas
    return replace(m, **kw)
