"""`overlay batch MANIFEST.csv`: hedge many accounts on Dask distributed (issue 15).

Flags -> :func:`optimizer.workflows.batch.run_batch` -> files. The manifest lists one account
per row (``account, holdings, mandate[, positions]``; relative paths from the manifest's folder,
see :mod:`optimizer.workflows.batch`). Accounts run on a LocalCluster (one worker process per
core) or on the cluster at ``--scheduler ADDRESS``, with a progress bar on stderr. Written to
``--out DIR``: ``<account>.json`` (the account's ``overlay hedge --json`` document, or the
infeasibility diagnosis), ``<account>_positions.csv`` (the positions format ``overlay rebalance
--positions`` reads) and ``summary.csv`` (account, status, gap, TE, margin, leverage, warnings,
error, timing). Failed accounts are in the summary with their error and never stop the others.
Exit status: 0 when every account is optimal or reported infeasible; otherwise 2 if an
account's input was bad, else 4 if a solve failed or stopped without proof, else 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from optimizer import validate as V

DEFAULT_OUT = "out/batch"


def register(sub) -> None:
    p = sub.add_parser("batch", help="hedge many accounts from a manifest (Dask distributed)",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("manifest", metavar="MANIFEST.csv",
                   help="one row per account: account, holdings, mandate[, positions]")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                   help=f"folder for the per-account files and summary.csv (default "
                        f"{DEFAULT_OUT})")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler (tcp://host:8786); default: a LocalCluster "
                        "started for this run")
    p.add_argument("--workers", type=V.arg(V.integer, lo=1, what="a number of workers"),
                   metavar="N",
                   help="LocalCluster worker processes (default: one per core)")
    p.add_argument("--asof", type=V.arg(V.market_date_text), help="as-of date YYYY-MM-DD for every account (default: latest "
                   "bundled curve date)")
    p.add_argument("--time-limit", type=V.arg(V.time_limit_s), default=10.0, metavar="S",
                   help="integer solver time limit per account, seconds (default 10)")
    p.add_argument("--key-tenors", type=V.arg(V.key_tenors_text), help="key tenors, e.g. 2Y,5Y,10Y,30Y (default 2Y..30Y)")
    p.add_argument("--window", default="3y", type=V.arg(V.window), help="risk-model lookback window (default 3y)")
    p.add_argument("--margins", help="the clearing firm's margins CSV for every account")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def render_account(obj: Any) -> dict[str, str]:
    """An account's files, rendered on the worker: ``.json`` (the hedge document or the
    infeasibility diagnosis) and ``_positions.csv`` (positions format) for a hedge."""
    from optimizer.reporting.formatters import dumps
    from optimizer.reporting.output import csv_text

    if isinstance(obj, dict):
        return {".json": dumps(obj) + "\n"}
    return {".json": dumps(obj.to_dict()) + "\n", "_positions.csv": csv_text(obj.to_frame())}


def _options(args):
    from models.curves import parse_key_tenors
    from optimizer.workflows.batch import BatchOptions

    keys = tuple(parse_key_tenors(args.key_tenors)) if args.key_tenors else None
    margins = str(Path(args.margins).resolve()) if args.margins else None
    return BatchOptions(asof=args.asof, time_limit=args.time_limit, key_tenors=keys,
                        window=args.window, margins=margins)


def _out_dir(text: str) -> Path:
    from data.errors import InputError

    out = Path(text)
    if out.exists() and not out.is_dir():
        raise InputError(f"'{text}' is a file; --out takes a folder", field="--out")
    return out


def run(args) -> int:
    from optimizer.cli import emit
    from optimizer.reporting.output import print_json
    from optimizer.workflows.batch import read_manifest, run_batch

    out = _out_dir(args.out)
    accounts = read_manifest(args.manifest)
    opts = _options(args)
    bar = _progress(len(accounts), args.no_progress)
    tx = emit.Transaction()      # committed even when some accounts failed: they are reported

    def arrived(res) -> None:
        for suffix, text in res.files.items():
            tx.add(out / f"{res.account}{suffix}", text, "--out")
        res.files = {}
        bar.update(1)
        bar.set_postfix_str(f"{res.account}: {res.status}", refresh=False)

    try:
        batch = run_batch(accounts, opts, scheduler=args.scheduler, workers=args.workers,
                          render=render_account, on_result=arrived)
    finally:
        bar.close()
    tx.add(out / "summary.csv", _summary_csv(batch), "--out")
    tx.commit()
    if args.json:
        print_json(_summary_doc(batch, out))
    else:
        print(render_text(batch, out))
    return batch.exit_status


def _progress(n: int, off: bool):
    from tqdm import tqdm

    return tqdm(total=n, unit="account", desc="hedging", file=sys.stderr, disable=off,
                mininterval=0.5, dynamic_ncols=True)


def _summary_frame(batch):
    import pandas as pd

    from optimizer.workflows.batch import SUMMARY_COLUMNS

    return pd.DataFrame([r.summary_row() for r in batch.results], columns=SUMMARY_COLUMNS)


def _summary_csv(batch) -> str:
    from optimizer.reporting.output import csv_text

    return csv_text(_summary_frame(batch))


def _summary_doc(batch, out: Path) -> dict:
    from optimizer.reporting.output import to_jsonable

    return to_jsonable({"accounts": len(batch.results), "counts": batch.counts(),
                        "exit_status": batch.exit_status, "seconds": batch.seconds,
                        "workers": batch.workers, "scheduler": batch.scheduler,
                        "out": str(out), "summary": _summary_frame(batch)})


def render_text(batch, out: Path, max_rows: int = 40) -> str:
    """Counts by status, the accounts (only the ones not optimal when there are many) and
    where the files are."""
    from optimizer.reporting import formatters as fmt
    from optimizer.reporting.output import table

    n = len(batch.results)
    rate = n / batch.seconds if batch.seconds else float("nan")
    lines = [f"Batch: {n} account(s) on {batch.scheduler}, {batch.seconds:.1f} s "
             f"({rate:.2f} accounts/s)",
             "Status: " + ", ".join(f"{k} {v}" for k, v in sorted(batch.counts().items())), ""]
    df = _summary_frame(batch)
    shown = df if n <= max_rows else df[df["status"] != "optimal"]
    if len(shown):
        view = shown[["account", "status"]].copy()
        view["gap"] = shown["gap"].map(
            lambda g: fmt.MISSING if fmt.finite(g) is None else f"{g:.1e}")
        view["TE $/yr"] = shown["te_usd"].map(fmt.number)
        view["TE bp"] = shown["te_bp"].map(lambda x: fmt.number(x, 1))
        view["margin $"] = shown["margin_usd"].map(fmt.number)
        view["leverage"] = shown["leverage"].map(lambda x: fmt.pct(x, 0))
        view["error / warnings"] = [(e or w)[:70] for e, w in zip(shown["error"],
                                                                  shown["warnings"], strict=True)]
        title = "Accounts" if n <= max_rows else f"Accounts not optimal ({len(shown)} of {n})"
        lines += [table(view, title=title), ""]
    lines.append(f"Files: {out}/<account>.json, {out}/<account>_positions.csv, "
                 f"{out}/summary.csv")
    return "\n".join(lines)
