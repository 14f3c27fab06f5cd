"""Many accounts hedged on Dask distributed: the workflow behind ``overlay batch MANIFEST.csv``.

Manifest
--------
A CSV, one row per account (headers case-insensitive; blank lines between accounts keep the
row numbers of the file):

=============  ======================================================================
``account``    the account id (aliases ``account_id``, ``id``): unique, usable as a file
               name (letters, digits, ``.``, ``_``, ``-``); it names the account's outputs
``holdings``   its holdings file, CSV/XLSX/Parquet (aliases ``portfolio``, ``holdings_file``)
``mandate``    its mandate TOML (alias ``mandate_file``)
``positions``  optional: the futures it holds now (the positions format; alias
               ``positions_file``); they enter turnover limits and trading cost
=============  ======================================================================

Relative paths resolve against the manifest's folder. A malformed manifest (missing column,
blank or repeated account, blank holdings or mandate cell) is one input error naming its row
and column, and nothing runs. A bad *account file* is that account's failure only.

Scheduling
----------
Accounts are independent Dask tasks. :func:`run_batch` starts a ``LocalCluster`` (one
single-threaded worker process per core, no home-made pool) unless a scheduler address is
given. Every worker is warmed when it starts (:class:`WarmWorker`, a Dask ``WorkerPlugin``):
it imports the hedge stack, loads the market data of the as-of date and hedges the bundled
default once, so whatever the process caches per as-of date (curves, deliverable baskets,
instrument risk, risk model) and compiles is built once per worker, not once per account.
Workers read the account files themselves (a remote cluster needs them on a shared file
system) and return the account's result with its files already rendered; the caller writes them.

Outcome of an account (``AccountResult.status``)
------------------------------------------------
``optimal`` (or another solver status such as ``feasible_time_limit``, with its gap),
``infeasible`` (a reported result: the conflicting constraints and the smallest change that
makes the mandate feasible), ``input_error`` (a bad file of that account: file/row/column),
``solver_failure``, ``error`` (an internal error or a lost worker). A failure never stops the
other accounts. :attr:`BatchResult.exit_status`: 0 when every account is optimal or reported
infeasible; else 2 if an account's input was bad, else 4 if a solve failed or stopped without
proof, else 1.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from data.errors import InputError

__all__ = ["Account", "BatchOptions", "AccountResult", "BatchResult", "WarmWorker", "warm",
           "read_manifest", "hedge_account", "run_batch", "SUMMARY_COLUMNS"]

OPTIMAL_OR_REPORTED = ("optimal", "infeasible")
SUMMARY_COLUMNS = ["account", "status", "gap", "te_usd", "te_bp", "margin_usd",
                   "margin_budget_usd", "leverage", "leverage_limit", "contracts", "warnings",
                   "error", "seconds", "cpu_seconds", "worker"]
_ALIASES = {"account_id": "account", "id": "account", "portfolio": "holdings",
            "holdings_file": "holdings", "mandate_file": "mandate",
            "positions_file": "positions"}
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Account:
    """One manifest row: absolute paths, and the row for messages."""

    account: str
    holdings: str
    mandate: str
    positions: str | None = None
    row: int = 0


@dataclass(frozen=True)
class BatchOptions:
    """What every account shares: the date and the risk-model / solver options."""

    asof: str | None = None
    time_limit: float = 10.0
    key_tenors: tuple[str, ...] | None = None
    window: str = "3y"
    margins: str | None = None
    repo: float | None = None


@dataclass
class AccountResult:
    """What one account's task returns (small and picklable)."""

    account: str
    status: str
    gap: float | None = None
    te_usd: float | None = None
    te_bp: float | None = None
    margin_usd: float | None = None
    margin_budget_usd: float | None = None
    leverage: float | None = None
    leverage_limit: float | None = None
    contracts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    worker: str = ""
    files: dict[str, str] = field(default_factory=dict)   # suffix -> rendered text

    @property
    def ok(self) -> bool:
        return self.status in OPTIMAL_OR_REPORTED

    def summary_row(self) -> dict[str, Any]:
        row = {c: getattr(self, c) for c in SUMMARY_COLUMNS}
        row["contracts"] = " ".join(f"{k}:{v:+d}" for k, v in self.contracts.items())
        row["warnings"] = "; ".join(self.warnings)
        return row


@dataclass
class BatchResult:
    """Every account's result in manifest order, with the run's timing."""

    results: list[AccountResult]
    seconds: float                 # the whole run: cluster start, warm-up, accounts
    workers: int
    scheduler: str
    startup_seconds: float = 0.0   # cluster start and warm-up, before the first account

    @property
    def exit_status(self) -> int:
        statuses = {r.status for r in self.results}
        if statuses <= set(OPTIMAL_OR_REPORTED):
            return 0
        if "input_error" in statuses:
            return 2
        if statuses - set(OPTIMAL_OR_REPORTED) - {"error"}:
            return 4
        return 1

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out


# ---------------------------------------------------------------------------------- manifest
def read_manifest(path: str | Path) -> list[Account]:
    """The accounts of a manifest CSV (see the module docstring); one InputError otherwise."""
    from data.csvio import read_user_csv

    name = str(path)
    df = read_user_csv(path, what="manifest")
    df.columns = [_ALIASES.get(c.replace(" ", "_"), c.replace(" ", "_")) for c in df.columns]
    for col in ("account", "holdings", "mandate"):
        if col not in df.columns:
            raise InputError(f"missing required column (the manifest needs account, holdings, "
                             f"mandate[, positions]; header has: {', '.join(df.columns)})",
                             file=name, row=1, column=col)
    base = Path(path).resolve().parent
    seen: dict[str, int] = {}
    out = []
    for row, r in df.iterrows():          # a manifest has one row per account, not per bond
        if not any(str(v).strip() for v in r.to_numpy()):
            continue                      # a blank line between accounts
        acct = _account_id(r["account"], seen, name, int(row))
        files = {c: _resolve(base, r[c], name, int(row), c) for c in ("holdings", "mandate")}
        pos = str(r.get("positions", "") or "").strip()
        out.append(Account(acct, files["holdings"], files["mandate"],
                           _resolve(base, pos, name, int(row), "positions") if pos else None,
                           int(row)))
    if not out:
        raise InputError("manifest has no accounts", file=name, row=2)
    return out


def _account_id(value: str, seen: dict[str, int], name: str, row: int) -> str:
    acct = str(value).strip()
    if not acct:
        raise InputError("account id is blank", file=name, row=row, column="account")
    if not _SAFE_ID.match(acct) or acct in (".", ".."):
        raise InputError(f"account id '{acct}' names the account's output files: use letters, "
                         "digits, '.', '_' and '-' (starting with a letter or digit)",
                         file=name, row=row, column="account")
    if acct.lower() in seen:
        raise InputError(f"account '{acct}' is listed twice (first on row "
                         f"{seen[acct.lower()]})", file=name, row=row, column="account")
    seen[acct.lower()] = row
    return acct


def _resolve(base: Path, value: str, name: str, row: int, col: str) -> str:
    text = str(value).strip()
    if not text:
        raise InputError(f"'{col}' is blank: give the account's {col} file", file=name, row=row,
                         column=col)
    p = Path(os.path.expanduser(text))
    return str(p if p.is_absolute() else (base / p))


# ---------------------------------------------------------------------------------- one account
def hedge_account(acct: Account, opts: BatchOptions,
                  render: Callable[[Any], dict[str, str]] | None = None) -> AccountResult:
    """Hedge one account (runs on a worker); every outcome is a result, nothing raises.

    ``render(outcome_or_report) -> {file suffix: text}`` renders the account's files on the
    worker (the CLI passes the reporting layer's renderer; the workflow does not import it)."""
    from optimizer.core.errors import InfeasibleMandate, SolverFailure

    t0, c0 = time.perf_counter(), time.process_time()
    try:
        res = _solve(acct, opts, render)
    except InputError as exc:
        res = AccountResult(acct.account, "input_error", error=str(exc))
    except InfeasibleMandate as exc:
        res = _infeasible(acct, exc, render)
    except SolverFailure as exc:
        res = AccountResult(acct.account, "solver_failure", error=f"solver failure: {exc}")
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other accounts
        res = AccountResult(acct.account, "error",
                            error=f"internal error: {type(exc).__name__}: {exc}")
    res.seconds, res.cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    res.worker = f"{os.uname().nodename}:{os.getpid()}"
    return res


def _current(acct: Account, asof) -> dict[str, int] | None:
    if not acct.positions:
        return None
    import pandas as pd

    from optimizer.workflows.rebalance import read_held

    held, _ = read_held(acct.positions, pd.Timestamp(asof))
    return {str(r.contract): int(r.contracts) for r in held.itertuples() if r.contracts}


def _solve(acct: Account, opts: BatchOptions, render) -> AccountResult:
    from data.loaders import latest_curve_date
    from optimizer.workflows.hedge import HedgeRequest, run_hedge

    asof = opts.asof or latest_curve_date()
    out = run_hedge(HedgeRequest(
        holdings=acct.holdings, mandate=acct.mandate, asof=asof, current=_current(acct, asof),
        key_tenors=opts.key_tenors, window=opts.window, margins=opts.margins, repo=opts.repo,
        time_limit=opts.time_limit))
    doc = out.to_dict()
    te, lev, solver = doc["tracking_error"], doc["leverage"], doc["solver"]
    return AccountResult(
        acct.account, out.status, gap=solver.get("gap"), te_usd=te["after_usd"],
        te_bp=te["after_bp"], margin_usd=doc["margin"]["initial"],
        margin_budget_usd=doc["margin"]["budget"], leverage=lev["ratio"],
        leverage_limit=lev["limit"], contracts=out.contracts,
        warnings=[_notice_text(w) for w in doc["warnings"]],
        files=render(out) if render else {})


def _notice_text(w: Any) -> str:
    if isinstance(w, Mapping):
        sub = f"{w.get('subject')}: " if w.get("subject") else ""
        return f"{sub}{w.get('message', '')}"
    return str(w)


def _infeasible(acct: Account, exc, render) -> AccountResult:
    report = {"account": acct.account, "status": "infeasible", "message": str(exc),
              "conflicting": list(exc.conflicts), "to_make_feasible": list(exc.relaxations)}
    text = str(exc)
    extra = [r for r in exc.relaxations if r not in text]
    if extra:
        text += " To make it feasible: " + "; ".join(extra)
    return AccountResult(acct.account, "infeasible", error=text,
                         files=render(report) if render else {})


# ---------------------------------------------------------------------------------- the cluster
class WarmWorker(WorkerPlugin):
    """Dask worker plugin: make a worker ready before its first account (see the module
    docstring). ``setup`` runs once in every worker process when it joins the cluster."""

    name = "futures-overlay-warm"

    def __init__(self, opts: BatchOptions, mandates: Sequence[str] = ()) -> None:
        self.opts, self.mandates = opts, tuple(mandates)

    def setup(self, worker=None) -> None:
        warm(self.opts, self.mandates)


#: distinct mandates whose market objects a worker builds when it starts
WARM_MANDATES = 4


def warm(opts: BatchOptions, mandates: Sequence[str] = ()) -> float:
    """Load what every account of the batch shares: the solver stack, the curve of the as-of
    date, and for the first few distinct mandates the instruments' risk (baskets, CTDs) and
    the risk model, by assembling the bundled portfolio under each (no solve). Whatever the
    process caches per as-of date is then built once per worker. Returns the seconds taken."""
    from data.loaders import latest_curve_date
    from models.curves import curve_on
    from optimizer.assemble import build_context
    from optimizer.core import problem  # noqa: F401 - imports the solver stack once
    from optimizer.mandate import load_mandate

    t0 = time.perf_counter()
    asof = opts.asof or latest_curve_date()
    curve_on(asof)
    for path in list(dict.fromkeys(mandates))[:WARM_MANDATES] or [None]:
        try:
            build_context(None, load_mandate(path), asof, key_tenors=(
                list(opts.key_tenors) if opts.key_tenors else None), window=opts.window,
                repo=opts.repo, margins=opts.margins)
        except Exception:  # noqa: BLE001 - warming is best effort; each account reports its own
            continue
    return time.perf_counter() - t0


def run_batch(accounts: Sequence[Account], opts: BatchOptions, *,
              scheduler: str | None = None, workers: int | None = None,
              render: Callable[[Any], dict[str, str]] | None = None,
              on_result: Callable[[AccountResult], None] | None = None) -> BatchResult:
    """Hedge every account on Dask (``scheduler`` address, else a LocalCluster of ``workers``
    single-threaded processes, default one per core). ``on_result`` sees each result as it
    arrives (progress, streaming outputs); the returned results are in manifest order."""
    t0 = time.perf_counter()
    by_key: dict[str, AccountResult] = {}
    with _ClusterClient(scheduler, workers) as (client, label):
        # setup runs (and is awaited) on every worker now, and on workers that join later
        client.register_plugin(WarmWorker(opts, [a.mandate for a in accounts]),
                               name=WarmWorker.name)
        n_workers = len(client.scheduler_info().get("workers", {}))
        ready = time.perf_counter()
        for res in _stream(client, accounts, opts, render):
            by_key[res.account] = res
            if on_result:
                on_result(res)
    ordered = [by_key[a.account] for a in accounts]
    return BatchResult(ordered, time.perf_counter() - t0, n_workers, label, ready - t0)


class _ClusterClient:
    """Client on ``scheduler``, or on a LocalCluster started (and closed) here."""

    def __init__(self, scheduler: str | None, workers: int | None) -> None:
        self.scheduler, self.workers = scheduler, workers
        self.cluster = self.client = None

    def __enter__(self):
        import logging

        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at '{self.scheduler}' "
                                 f"({exc})", field="--scheduler") from None
            return self.client, self.scheduler
        n = self.workers or os.cpu_count() or 1
        self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                    dashboard_address=None, silence_logs=logging.ERROR)
        self.client = Client(self.cluster)
        return self.client, f"LocalCluster({n} worker process(es) x 1 thread)"

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _stream(client, accounts: Sequence[Account], opts: BatchOptions, render
            ) -> Iterator[AccountResult]:
    from distributed import as_completed

    futures = client.map(hedge_account, list(accounts), opts=opts, render=render, pure=False,
                         key=[f"hedge-{a.account}-{os.getpid()}" for a in accounts])
    which = {f.key: a for f, a in zip(futures, accounts, strict=True)}
    for fut in as_completed(futures):
        try:
            yield fut.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker or a pickling error
            acct = which[fut.key]
            yield AccountResult(acct.account, "error",
                                error=f"task failed: {type(exc).__name__}: {exc}")
        fut.release()
