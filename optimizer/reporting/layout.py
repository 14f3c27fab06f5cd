"""HTML building blocks shared by every report page: the page shell and its CSS, sections,
tables, cards, the warnings banner and HTML cells built on :mod:`optimizer.reporting.formatters`.

The page has no script, no external resource and no URL at all (no CDN, web font or
``http(s)://``; URLs inside user text are shown without their scheme, never as links). Every
piece of text from a result is HTML-escaped here. Tables wrap only between words (headers wrap
at spaces, numbers never wrap), so a label never breaks mid-word and a table fits a 1280 px page.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from optimizer.reporting import formatters as fmt
from optimizer.reporting.charts import esc

_URL_SCHEME = re.compile(r"(?i)\b(?:https?|ftp|file|wss?):/+")
_HYPHENATED = re.compile(r"[^\s<>]*[-‐‑][^\s<>]*")
NA = '<span class="na">—</span>'


def nobreak(html: str) -> str:
    """Keep hyphenated words (dates, ``key-rate``, ``-1,086``) on one line: a browser may wrap
    after a hyphen, which reads as a word broken in two. Input and output are escaped HTML."""
    return _HYPHENATED.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', html)


# ----------------------------------------------------------------------------- cells

def text(v: Any) -> str:
    """Escaped display text; URL schemes dropped so the file holds no URL; None -> dash."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return NA
    if isinstance(v, (dict, list, tuple)):
        v = fmt.dumps(v, indent=None)
    return nobreak(esc(_URL_SCHEME.sub("", str(v))))


def join(v: Any, sep: str = ", ") -> str:
    """A list from a result as plain text (items as text, missing ones dropped); a lone value
    as itself; None as an empty string."""
    if v is None:
        return ""
    if isinstance(v, (list, tuple, set)):
        return sep.join(plain(x) for x in v if x not in (None, ""))
    return plain(v)


def attr(v: Any) -> str:
    """Text for an HTML attribute value (escaped, URL schemes dropped, no markup)."""
    return esc(_URL_SCHEME.sub("", "" if v is None else str(v)))


def plain(v: Any) -> str:
    """Unescaped text with URL schemes dropped (chart labels; charts escape themselves)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return _URL_SCHEME.sub("", str(v))


def _wrap(s: str, f: float | None, red_negative: bool) -> str:
    if s == fmt.MISSING:
        return NA
    return f'<span class="neg">{esc(s)}</span>' if red_negative and s.startswith("-") else esc(s)


def num(v: Any, dp: int = 0, *, signed: bool = False, red_negative: bool = True) -> str:
    """A number with thousands separators; negatives red (money/DV01), missing as a dash."""
    return _wrap(fmt.number(v, dp, signed=signed), fmt.finite(v), red_negative)


def usd(v: Any, dp: int = 0, *, signed: bool = False) -> str:
    return _wrap(fmt.usd(v, dp, signed=signed), fmt.finite(v), True)


def pct(frac: Any, dp: int = 1, *, signed: bool = False, red_negative: bool = False) -> str:
    return _wrap(fmt.pct(frac, dp, signed=signed), fmt.finite(frac), red_negative)


def ratio(v: Any, dp: int = 3) -> str:
    """A ratio or slope: never red by sign (a -1.0 hedge slope is the goal, not a loss)."""
    return _wrap(fmt.ratio(v, dp), fmt.finite(v), False)


def in_band(v: Any, lo: float, hi: float, shown: str, *, what: str) -> str:
    """``shown`` green when ``lo <= v <= hi`` else bold red, with the band in a tooltip."""
    f = fmt.finite(v)
    if f is None:
        return NA
    cls = "ok" if lo <= f <= hi else "flag"
    return f'<span class="{cls}" title="{attr(what)}">{esc(shown)}</span>'


def price(v: Any, contract: Any = None) -> str:
    """Futures price: 32nds first for Treasury futures, the decimal beside it in grey."""
    p32, dec = fmt.price_32nds_parts(v, contract)
    if dec == fmt.MISSING:
        return NA
    return f'{esc(p32)} <span class="dec">({esc(dec)})</span>' if p32 else esc(dec)


def yes_no(flag: Any, yes: str = "yes", no: str = "NO") -> str:
    if flag is None:
        return NA
    return f'<span class="ok">{esc(yes)}</span>' if flag else f'<span class="flag">{esc(no)}</span>'


# ----------------------------------------------------------------------------- structure

Column = tuple[str, str, Callable[[Mapping], str]]  # header, "num" | "txt", cell html


def col(header: str, key: str, cell: Callable[..., str] = text, *, cls: str = "",
        **kw: Any) -> Column:
    """A column showing ``row[key]`` through ``cell`` (:func:`text` by default, left-aligned;
    any other cell, e.g. :func:`num` with its keyword options, right-aligned)."""
    return (header, cls or ("txt" if cell is text else "num"), lambda r: cell(r.get(key), **kw))


def td(html: str, cls: str = "num") -> str:
    return f'<td class="{cls}">{html}</td>'


def table(headers: Sequence[tuple[str, str]], rows: Iterable[str], *, cls: str = "",
          foot: str = "", caption: str = "") -> str:
    head = "".join(f'<th class="{c}" scope="col">{nobreak(esc(h))}</th>' for h, c in headers)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    tfoot = f"<tfoot>{foot}</tfoot>" if foot else ""
    return (f'<table class="data {cls}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody>{tfoot}</table>")


def data_table(columns: Sequence[Column], rows: Sequence[Mapping], *, cls: str = "",
               foot: Mapping[str, str] | None = None, caption: str = "") -> str:
    """A table from column specs; ``foot`` maps a column header to its footer cell html."""
    body = ["<tr>" + "".join(td(fn(r), c) for _, c, fn in columns) + "</tr>" for r in rows]
    foot_html = ""
    if foot:
        foot_html = "<tr>" + "".join(td(foot.get(h, ""), c) for h, c, _ in columns) + "</tr>"
    return table([(h, c) for h, c, _ in columns], body, cls=cls, foot=foot_html, caption=caption)


def column_sum(rows: Sequence[Mapping], key: str) -> float | None:
    """Column total, or None (a dash) if any row lacks the value: a partial sum would mislead."""
    vals = [fmt.finite(r.get(key)) for r in rows]
    return None if not vals or any(v is None for v in vals) else sum(vals)  # type: ignore[misc]


def section(sid: str, title: str, body: str, note: str = "", *, cls: str = "") -> str:
    note_html = f'<p class="note">{note}</p>' if note else ""
    return (f'<section id="{esc(sid)}" class="section {cls}"><h2>{esc(title)}</h2>{note_html}'
            f"{body}</section>")


def pair(*parts: str) -> str:
    """Side-by-side blocks that wrap under each other when the page is narrow."""
    return '<div class="pair">' + "".join(f"<div>{p}</div>" for p in parts if p) + "</div>"


def kv_table(items: Mapping[str, Any] | Iterable[tuple[str, Any]], *, raw: bool = False) -> str:
    pairs = items.items() if isinstance(items, Mapping) else items
    rows = "".join(f'<tr><th scope="row">{text(k)}</th><td>{v if raw else text(v)}</td></tr>'
                   for k, v in pairs)
    return f'<table class="kv">{rows}</table>'


def cards(items: Sequence[tuple[str, str, str]]) -> str:
    """Headline figures: (label, value html, sub-line html)."""
    out = "".join(f'<div class="card"><div class="label">{esc(lab)}</div>'
                  f'<div class="value">{val}</div><div class="sub">{sub}</div></div>'
                  for lab, val, sub in items)
    return f'<div class="cards">{out}</div>' if out else ""


def before_after(before: str, after: str) -> str:
    return f'{before} <span class="arrow">→</span> {after}'


def rows_of(doc: Mapping, key: str) -> list[Mapping]:
    val = doc.get(key)
    if isinstance(val, Mapping):
        val = [val] if val else []
    if not isinstance(val, (list, tuple)):
        return []
    return [r for r in val if isinstance(r, Mapping)]


def items(v: Any) -> list:
    """A list from a result value that should be one (a lone value becomes a list of one)."""
    if v is None or (isinstance(v, float) and v != v):
        return []
    if isinstance(v, (list, tuple)):
        return list(v)
    return [] if isinstance(v, (str, Mapping)) and not v else [v]


def sub(doc: Mapping, key: str) -> Mapping:
    val = doc.get(key)
    return val if isinstance(val, Mapping) else {}


# ----------------------------------------------------------------------------- page parts

def header(title: str, meta: Sequence[tuple[str, Any]], status_html: str = "") -> str:
    items = " ".join(f"<span><b>{esc(k)}</b> {text(v)}</span>" for k, v in meta
                     if v is not None and v != "")
    status = f'<p class="status">{status_html}</p>' if status_html else ""
    return f'<header><h1>{text(title)}</h1><p class="meta">{items}</p>{status}</header>'


def badge(label: Any, good: bool) -> str:
    return f'<span class="badge {"ok" if good else "warn"}">{text(label)}</span>'


_SEV_ORDER = {"error": 0, "warning": 1, "info": 2}


def notices(warnings: Any) -> str:
    """Every distinct warning once, as a sentence, errors first; right under the header."""
    merged = sorted(fmt.merge_notices(warnings), key=lambda n: _SEV_ORDER.get(n["severity"], 1))
    if not merged:
        return ""
    items = []
    for n in merged:
        sev = n["severity"] if n["severity"] in _SEV_ORDER else "warning"
        sentence = fmt.notice_sentence({"message": n["message"]})
        subject = f"<b>{text(n['subject'])}</b>: " if n["subject"] else ""
        code = f' data-code="{esc(n["code"])}"' if n["code"] else ""
        label = f'<span class="sev">{esc(sev)}</span> ' if sev != "warning" else ""
        items.append(f'<li class="sev-{sev}"{code}>{label}{subject}{text(sentence)}</li>')
    n_warn = sum(1 for n in merged if n["severity"] != "info")
    title = f"Warnings ({n_warn})" if n_warn == len(merged) else \
        f"Warnings ({n_warn}) and notes ({len(merged) - n_warn})"
    role = ' role="alert"' if n_warn else ""
    return (f'<section id="warnings" class="section warnings"{role}><h2>{esc(title)}</h2>'
            f"<ul>{''.join(items)}</ul></section>")


def bullet_section(sid: str, title: str, entries: Any, note: str = "") -> str:
    shown = [i for i in items(entries) if i not in (None, "")]
    if not shown:
        return ""
    lis = "".join(f"<li>{text(i)}</li>" for i in shown)
    return section(sid, title, f'<ul class="plain">{lis}</ul>', note)


def generated_stamp(doc: Mapping, generated_at: str | None) -> str:
    return (generated_at or doc.get("generated_at")
            or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))


FOOTER = ("DV01 = USD gained for a 1 bp fall in yields (long &gt; 0). Money in USD, DV01 in USD "
          "per bp, tracking error annualized; display rounding only.")


def page(title: str, parts: Sequence[str], *, verb: str, asof: Any = None) -> str:
    body = "\n".join(p for p in parts if p)
    suffix = f" — {text(asof)}" if asof else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{text(title)}{suffix}</title><style>{CSS}</style></head>\n"
            f'<body data-report="{esc(verb)}">\n{body}\n<footer>futures-overlay {esc(verb)} '
            f"report. {FOOTER}</footer>\n</body></html>\n")


CSS = """
*{box-sizing:border-box}
body{margin:0;padding:18px 24px;font:13px/1.4 system-ui,-apple-system,"Segoe UI","DejaVu Sans",
Arial,sans-serif;color:#1c2430;background:#fff;max-width:1200px}
h1{font-size:21px;margin:0 0 4px}
h2{font-size:15px;margin:0 0 8px;padding-bottom:3px;border-bottom:2px solid #1f5fa8}
h3{font-size:13px;margin:10px 0 4px}
header{border-bottom:1px solid #cfd6e0;padding-bottom:8px;margin-bottom:12px}
.meta>span{margin-right:18px;color:#3d4756;display:inline-block}
.status{margin:6px 0 0;color:#3d4756}
.badge{display:inline-block;padding:1px 8px;border-radius:9px;font-weight:600;font-size:12px}
.badge.ok{background:#dff3e7;color:#17623b}.badge.warn{background:#fdecc8;color:#7a4d00}
.section{margin:0 0 18px;break-inside:avoid;page-break-inside:avoid}
.note{margin:0 0 6px;color:#5a6472;font-size:12px;max-width:1100px}
.warnings{background:#fff4e0;border:1px solid #e0a030;border-left:5px solid #c2412d;
padding:8px 12px}
.warnings h2{border-bottom-color:#c2412d;color:#8a2b1c}
.warnings ul{margin:0;padding-left:18px}.warnings li{margin:2px 0}
.warnings .sev{display:inline-block;min-width:56px;font-size:10px;text-transform:uppercase;
letter-spacing:.04em;color:#8a2b1c;font-weight:600}
.warnings li.sev-info .sev{color:#5a6472}.warnings li.sev-error{font-weight:600}
.decision{border:1px solid #b8c2d0;border-left:5px solid #1f5fa8;padding:8px 12px;
background:#f4f7fb}
.decision.act{border-left-color:#e0a030}.decision .verdict{font-size:16px;font-weight:600}
table.data{border-collapse:collapse;font-size:12px;margin:0 0 8px;
font-variant-numeric:tabular-nums}
table.data caption{text-align:left;font-weight:600;padding:2px 0 4px}
table.data th,table.data td{padding:3px 8px;border-bottom:1px solid #e3e7ee;white-space:nowrap}
table.data th{white-space:normal;word-break:keep-all;overflow-wrap:normal;hyphens:manual;
vertical-align:bottom;max-width:150px}
table.data td.txt{white-space:normal;word-break:normal;overflow-wrap:normal;hyphens:manual;
max-width:340px}
table.data td.wide{max-width:560px}
table.data thead th{background:#eef2f7;border-bottom:1px solid #b8c2d0;font-weight:600}
table.data tbody tr:nth-child(even){background:#fafbfd}
table.data tbody th{text-align:left;font-weight:600;background:none;max-width:300px}
table.data td.label{min-width:230px}
.nw{white-space:nowrap}
table.data tr.group th{background:#f4f7fb;color:#3d4756;font-size:11px;text-transform:uppercase;
letter-spacing:.03em;text-align:left}
table.data tfoot td{border-top:1.5px solid #6b7686;font-weight:600}
th.num,td.num{text-align:right}th.txt,td.txt{text-align:left}
.small{font-size:11px;color:#5a6472}
table.kv{border-collapse:collapse;font-size:12px}
table.kv th{text-align:left;padding:2px 14px 2px 0;font-weight:600;color:#3d4756;
vertical-align:top;white-space:nowrap}
table.kv td{padding:2px 0}
.neg{color:#b3261e}.na{color:#8d99ab}.over,.flag{color:#b3261e;font-weight:600}
.ok{color:#17623b}.dec{color:#5a6472;font-size:11px}
td.buy{color:#17623b;font-weight:600}td.sell{color:#b3261e;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:10px}
.card{border:1px solid #d5dce6;border-radius:4px;padding:6px 10px;min-width:200px}
.card .label{font-size:11px;color:#5a6472;text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:17px;font-weight:600;font-variant-numeric:tabular-nums}
.card .sub{font-size:11px;color:#5a6472;min-height:1em}.arrow{color:#8d99ab}
.pair{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.multiples{display:flex;flex-wrap:wrap;gap:6px}
.gauges svg{display:block;margin-bottom:4px}
svg.chart{max-width:100%;height:auto;display:block;margin:4px 0 6px;overflow:visible}
svg.chart text{font-size:11px;fill:#2d3643}
svg.chart .chart-title{font-size:12px;font-weight:600}
svg.chart .unit{fill:#3d4756}
svg.chart .grid{stroke:#e5e9f0;stroke-width:1}
svg.chart .axis-line,svg.chart .tick-mark{stroke:#8d99ab;stroke-width:1}
svg.chart .zero{stroke:#1c2430;stroke-width:1.3}
svg.chart .point-label{font-size:10px;fill:#1f5fa8}
svg.chart .ref{stroke:#c2412d;stroke-width:1;stroke-dasharray:4 3}
svg.chart .ref-label{font-size:10px;fill:#c2412d}
svg.chart .chosen-label{font-weight:600;fill:#c2412d}
details summary{cursor:pointer;color:#1f5fa8;margin:4px 0}
ul{margin:4px 0;padding-left:20px}ul.plain li{overflow-wrap:break-word}
footer{color:#8d99ab;font-size:11px;border-top:1px solid #e3e7ee;padding-top:6px}
@media print{
body{padding:0;font-size:10.5px;max-width:none}
@page{margin:12mm}
.section{break-inside:avoid}
table.data{font-size:10px}table.data tbody tr:nth-child(even){background:none}
.warnings{background:none}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""
