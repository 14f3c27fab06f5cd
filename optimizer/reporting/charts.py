"""Inline-SVG chart primitives for the self-contained HTML report (no plotting library, no JS).

Every chart is one ``<svg class="chart ..." data-chart="<name>" role="img">`` element with a
``<title>``, axes, a zero line, value labels on the axis, a legend and series-coloured marks
(``<rect class="bar">`` for bars, ``<polyline class="line">`` / ``<circle class="marker">`` for
lines). The ``xmlns`` attribute is deliberately omitted: inline SVG in HTML5 does not need it and
the report must contain no URL at all. All text is HTML-escaped here.

Scaling: the value axis always includes zero (bars grow from the zero line), uses "nice" 1-2-2.5-5
tick steps, and copes with all-negative, all-zero, single-point and missing (None/NaN) data.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from html import escape

# Series palette: muted grey for "before", a clear blue for "after"; colour-blind friendly order.
PALETTE = ("#8d99ab", "#e0a030", "#1f5fa8", "#2e9e6a", "#c2412d", "#7b4fa8", "#3aa6b9", "#6b6b6b")
FONT = 11  # px; label width estimated at 0.6 em per character
_CHAR_W = FONT * 0.6


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def _num(v: object) -> float | None:
    """A finite float or None (missing, NaN, inf or not a number)."""
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _f(x: float) -> str:
    """Compact coordinate text."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]; a degenerate range gets a unit-ish span."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if lo > hi:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad if lo != 0 else lo, hi + pad
        if lo == hi:  # both zero
            hi = 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-12))
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    k = int(round((stop - start) / step))
    return [round(start + i * step, 12) + 0.0 for i in range(k + 1)]


def value_range(values: Sequence[float | None], include_zero: bool = True) -> tuple[float, float]:
    vals = [v for v in (_num(x) for x in values) if v is not None]
    if include_zero:
        vals.append(0.0)
    if not vals:
        return 0.0, 1.0
    return min(vals), max(vals)


def fmt_compact(v: float) -> str:
    """Axis label: 1.25M, -350k, 12.5, 0."""
    a = abs(v)
    if a >= 1e9:
        s, d = v / 1e9, "B"
    elif a >= 1e6:
        s, d = v / 1e6, "M"
    elif a >= 1e3:
        s, d = v / 1e3, "k"
    else:
        s, d = v, ""
    txt = f"{s:,.2f}".rstrip("0").rstrip(".")
    return ("0" if txt in ("-0", "") else txt) + d


def truncate(label: str, max_chars: int) -> str:
    label = str(label)
    return label if len(label) <= max_chars else label[: max(1, max_chars - 1)] + "\u2026"


def _svg_open(name: str, title: str, width: int, height: int, kind: str) -> list[str]:
    return [
        f'<svg class="chart chart-{esc(kind)}" data-chart="{esc(name)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
        f'<text class="chart-title" x="4" y="15">{esc(title)}</text>',
    ]


def _legend(series_names: Sequence[str], colors: Sequence[str], x0: float, y: float,
            max_w: float) -> list[str]:
    out = ['<g class="legend">']
    x = x0
    for name, color in zip(series_names, colors, strict=False):
        label = truncate(name, 28)
        w = 16 + len(label) * _CHAR_W + 14
        if x + w > x0 + max_w and x > x0:
            break
        out.append(f'<rect class="legend-swatch" x="{_f(x)}" y="{_f(y - 9)}" width="10" '
                   f'height="10" fill="{color}"/>')
        out.append(f'<text x="{_f(x + 14)}" y="{_f(y)}">{esc(label)}</text>')
        x += w
    out.append("</g>")
    return out


def _y_label(text: str, top: float, bottom: float) -> list[str]:
    cy = (top + bottom) / 2
    return [f'<text class="unit" x="12" y="{_f(cy)}" text-anchor="middle" '
            f'transform="rotate(-90 12 {_f(cy)})">{esc(text)}</text>']


class _Scale:
    """Linear map from data values to pixels along one axis."""

    def __init__(self, lo: float, hi: float, p0: float, p1: float, n_ticks: int = 5):
        self.ticks = nice_ticks(lo, hi, n_ticks)
        self.lo, self.hi = self.ticks[0], self.ticks[-1]
        if self.hi == self.lo:
            self.hi = self.lo + 1.0
        self.p0, self.p1 = p0, p1

    def __call__(self, v: float) -> float:
        return self.p0 + (v - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)



def _y_axis(ys, left: float, right_x: float, top: float, bottom: float, label: str | None
            ) -> list[str]:
    """Value axis: a grid line and a tick label per tick, and the axis title."""
    out = ['<g class="axis y-axis">']
    for t in ys.ticks:
        y = ys(t)
        out.append(f'<line class="grid" x1="{left}" x2="{right_x}" y1="{_f(y)}" y2="{_f(y)}"/>')
        out.append(f'<text class="tick" x="{left - 6}" y="{_f(y + 4)}" text-anchor="end">'
                   f"{esc(fmt_compact(t))}</text>")
    if label:
        out += _y_label(label, top, bottom)
    out.append("</g>")
    return out

def grouped_bar_chart(name: str, title: str, categories: Sequence[str],
                      series: Sequence[tuple[str, Sequence[float | None]]], *,
                      width: int = 760, height: int = 300, unit: str = "",
                      colors: Sequence[str] | None = None) -> str:
    """Vertical grouped bars: one group per category (x), one bar per series, from the zero line."""
    colors = list(colors or PALETTE)
    cats = [str(c) for c in categories]
    n_cat, n_ser = max(len(cats), 1), max(len(series), 1)
    lo, hi = value_range([v for _, vals in series for v in vals])
    max_label = max((len(c) for c in cats), default=1)
    slot_guess = (width - 80) / n_cat
    rotate = max_label * _CHAR_W > slot_guess - 4
    bottom_pad = 24 + (min(max_label, 22) * _CHAR_W * 0.7 if rotate else 0)
    left, right, top = 64, 12, 42
    bottom = height - bottom_pad
    ys = _Scale(lo, hi, bottom, top)
    plot_w = width - left - right
    slot = plot_w / n_cat
    bar_w = max(1.0, min(36.0, slot * 0.8 / n_ser))
    out = _svg_open(name, title, width, height, "bar")
    out += _legend([s for s, _ in series], colors, left, 32, plot_w)
    out += _y_axis(ys, left, width - right, top, bottom, unit)
    y0 = ys(0.0)
    out.append('<g class="bars">')
    for ci, cat in enumerate(cats):
        gx = left + ci * slot + (slot - bar_w * n_ser) / 2
        for si, (sname, vals) in enumerate(series):
            v = _num(vals[ci]) if ci < len(vals) else None
            if v is None:
                continue
            y = ys(v)
            h = abs(y - y0)
            color = colors[si % len(colors)]
            out.append(
                f'<rect class="bar" x="{_f(gx + si * bar_w)}" y="{_f(min(y, y0))}" '
                f'width="{_f(bar_w * 0.92)}" height="{_f(max(h, 0.5 if v != 0 else 0))}" '
                f'fill="{color}" data-series="{esc(sname)}" data-value="{v:.6g}">'
                f"<title>{esc(cat)} {esc(sname)}: {v:,.0f}</title></rect>")
    out.append("</g>")
    out.append('<g class="axis x-axis">')
    max_chars = 22 if rotate else max(4, int(slot / _CHAR_W) - 1)
    for ci, cat in enumerate(cats):
        cx = left + (ci + 0.5) * slot
        label = truncate(cat, max_chars)
        if rotate:
            out.append(f'<text class="tick" x="{_f(cx)}" y="{_f(bottom + 12)}" text-anchor="end" '
                       f'transform="rotate(-35 {_f(cx)} {_f(bottom + 12)})">{esc(label)}'
                       f"<title>{esc(cat)}</title></text>")
        else:
            out.append(f'<text class="tick" x="{_f(cx)}" y="{_f(bottom + 15)}" '
                       f'text-anchor="middle">{esc(label)}<title>{esc(cat)}</title></text>')
    out.append(f'<line class="axis-line" x1="{left}" x2="{left}" y1="{top}" y2="{_f(bottom)}"/>')
    out.append(f'<line class="zero" x1="{left}" x2="{width - right}" y1="{_f(y0)}" y2="{_f(y0)}"/>')
    out.append("</g></svg>")
    return "\n".join(out)


def diverging_hbar_chart(name: str, title: str, labels: Sequence[str],
                         series: Sequence[tuple[str, Sequence[float | None]]], *,
                         width: int = 760, row_h: float | None = None, unit: str = "",
                         colors: Sequence[str] | None = None, symmetric: bool = True,
                         max_label: int = 40) -> str:
    """Horizontal bars diverging left/right from the zero line: one row per label.

    ``symmetric`` centres zero (gains and losses compare by length); otherwise the axis spans
    the data and zero, so all-positive data uses the full width.
    """
    colors = list(colors or PALETTE)
    labs = [str(x) for x in labels]
    n_ser = max(len(series), 1)
    row_h = row_h or max(18.0, 9.0 * n_ser + 8)
    label_chars = min(max((len(x) for x in labs), default=4), max_label)
    left = int(12 + label_chars * _CHAR_W)
    right, top = 24, 44
    height = int(top + row_h * max(len(labs), 1) + (34 if unit else 22))
    lo, hi = value_range([v for _, vals in series for v in vals])
    if symmetric:
        m = max(abs(lo), abs(hi))
        lo, hi = -m, m
    xs = _Scale(lo, hi, left, width - right, 6)
    x0 = xs(0.0)
    bar_h = max(3.0, (row_h - 6) / n_ser)
    out = _svg_open(name, title, width, height, "hbar")
    out += _legend([s for s, _ in series], colors, left, 32, width - left - right)
    out.append('<g class="axis x-axis">')
    bottom = top + row_h * max(len(labs), 1)
    for t in xs.ticks:
        x = xs(t)
        out.append(f'<line class="grid" x1="{_f(x)}" x2="{_f(x)}" y1="{top}" y2="{_f(bottom)}"/>')
        out.append(f'<text class="tick" x="{_f(x)}" y="{_f(bottom + 14)}" text-anchor="middle">'
                   f"{esc(fmt_compact(t))}</text>")
    if unit:
        out.append(f'<text class="unit" x="{_f((left + width - right) / 2)}" '
                   f'y="{_f(bottom + 28)}" text-anchor="middle">{esc(unit)}</text>')
    out.append("</g>")
    out.append('<g class="bars">')
    for ri, lab in enumerate(labs):
        ry = top + ri * row_h + 3
        out.append(f'<text class="tick row-label" x="{left - 6}" y="{_f(ry + (row_h - 6) / 2 + 4)}" '
                   f'text-anchor="end">{esc(truncate(lab, max_label))}<title>{esc(lab)}</title></text>')
        for si, (sname, vals) in enumerate(series):
            v = _num(vals[ri]) if ri < len(vals) else None
            if v is None:
                continue
            x = xs(v)
            w = abs(x - x0)
            out.append(
                f'<rect class="bar" x="{_f(min(x, x0))}" y="{_f(ry + si * bar_h)}" '
                f'width="{_f(max(w, 0.5 if v != 0 else 0))}" height="{_f(bar_h * 0.9)}" '
                f'fill="{colors[si % len(colors)]}" data-series="{esc(sname)}" '
                f'data-value="{v:.6g}"><title>{esc(lab)} {esc(sname)}: {v:,.0f}</title></rect>')
    out.append("</g>")
    out.append(f'<line class="zero" x1="{_f(x0)}" x2="{_f(x0)}" y1="{top - 2}" y2="{_f(bottom)}"/>')
    out.append("</svg>")
    return "\n".join(out)


def _as_x(v: object) -> float | None:
    """Numbers as-is; ISO dates / date objects as days since 1970-01-01."""
    if isinstance(v, (_dt.date, _dt.datetime)):
        d = v.date() if isinstance(v, _dt.datetime) else v
        return float((d - _dt.date(1970, 1, 1)).days)
    if isinstance(v, str):
        try:
            d = _dt.date.fromisoformat(v[:10])
            return float((d - _dt.date(1970, 1, 1)).days)
        except ValueError:
            return _num(v)
    return _num(v)


def _date_ticks(lo: float, hi: float, n: int = 8) -> list[tuple[float, str]]:
    """Date ticks (x in days since 1970-01-01): month/year starts for long spans, else days."""
    d0 = _dt.date(1970, 1, 1)
    first, last = d0 + _dt.timedelta(days=int(lo)), d0 + _dt.timedelta(days=int(hi))
    if hi - lo <= 0:
        return [(lo, first.isoformat())]
    months = (last.year - first.year) * 12 + last.month - first.month
    if months >= 2:
        step = next((m for m in (1, 2, 3, 6, 12, 24, 36, 60, 120) if months / m <= n), 120)
        out = []
        y, m = first.year, first.month
        idx = y * 12 + m - 1
        idx = -(-idx // step) * step  # first multiple of step at/after the first month
        while True:
            d = _dt.date(idx // 12, idx % 12 + 1, 1)
            if d > last:
                break
            if d >= first:
                label = str(d.year) if step >= 12 else d.strftime("%Y-%m")
                out.append((float((d - d0).days), label))
            idx += step
        if out:
            return out
    step = max(1, int(round((hi - lo) / n)))
    out = []
    t = lo
    while t <= hi + 1e-9:
        out.append((t, (d0 + _dt.timedelta(days=int(t))).isoformat()))
        t += step
    return out


def line_chart(name: str, title: str, series: Sequence[tuple[str, Sequence[tuple[object, object]]]],
               *, width: int = 760, height: int = 300, x_label: str = "", y_label: str = "",
               dates: bool = False, markers: bool = True, include_zero: bool = True,
               colors: Sequence[str] | None = None, point_labels: bool = False,
               x_marker: tuple[float, str] | None = None) -> str:
    """Lines (with optional circle markers) over numeric or ISO-date x values.

    ``x_marker=(x, label)`` draws a dashed vertical reference line (e.g. the mandate's budget).
    """
    colors = list(colors or PALETTE)
    pts_by_series: list[tuple[str, list[tuple[float, float, object]]]] = []
    for sname, pts in series:
        clean = []
        for x, y in pts:
            fx, fy = _as_x(x), _num(y)
            if fx is not None and fy is not None:
                clean.append((fx, fy, x))
        clean.sort(key=lambda p: p[0])
        pts_by_series.append((str(sname), clean))
    all_x = [p[0] for _, pts in pts_by_series for p in pts]
    all_y = [p[1] for _, pts in pts_by_series for p in pts]
    ylo, yhi = value_range(all_y, include_zero=include_zero)
    left, right, top, bottom = 70, 18, 52, height - (40 if x_label else 28)
    ys = _Scale(ylo, yhi, bottom, top)
    if all_x:
        xlo, xhi = min(all_x), max(all_x)
    else:
        xlo, xhi = 0.0, 1.0
    if dates:
        if xhi == xlo:
            xlo, xhi = xlo - 1, xhi + 1
        xticks = _date_ticks(xlo, xhi)
        xmap_lo, xmap_hi = xlo, xhi
    else:
        xt = nice_ticks(xlo, xhi, 6)
        xmap_lo, xmap_hi = xt[0], xt[-1]
        if xmap_hi == xmap_lo:
            xmap_hi = xmap_lo + 1
        xticks = [(t, fmt_compact(t)) for t in xt]

    def xp(v: float) -> float:
        return left + (v - xmap_lo) / (xmap_hi - xmap_lo) * (width - left - right)

    out = _svg_open(name, title, width, height, "line")
    out += _legend([s for s, _ in pts_by_series], colors, left, 32, width - left - right)
    out += _y_axis(ys, left, width - right, top, bottom, y_label)
    out.append('<g class="axis x-axis">')
    for t, lab in xticks:
        x = xp(t)
        out.append(f'<line class="tick-mark" x1="{_f(x)}" x2="{_f(x)}" y1="{_f(bottom)}" '
                   f'y2="{_f(bottom + 4)}"/>')
        out.append(f'<text class="tick" x="{_f(x)}" y="{_f(bottom + 16)}" text-anchor="middle">'
                   f"{esc(lab)}</text>")
    if x_label:
        out.append(f'<text class="unit" x="{_f((left + width - right) / 2)}" y="{height - 6}" '
                   f'text-anchor="middle">{esc(x_label)}</text>')
    out.append(f'<line class="axis-line" x1="{left}" x2="{left}" y1="{top}" y2="{_f(bottom)}"/>')
    out.append(f'<line class="axis-line" x1="{left}" x2="{width - right}" y1="{_f(bottom)}" '
               f'y2="{_f(bottom)}"/>')
    if ys.lo <= 0 <= ys.hi:
        out.append(f'<line class="zero" x1="{left}" x2="{width - right}" y1="{_f(ys(0.0))}" '
                   f'y2="{_f(ys(0.0))}"/>')
    out.append("</g>")
    if x_marker is not None and _num(x_marker[0]) is not None:
        mx = _num(x_marker[0])
        if xmap_lo <= mx <= xmap_hi:
            px = xp(mx)
            out.append(f'<g class="x-marker"><line class="ref" x1="{_f(px)}" x2="{_f(px)}" '
                       f'y1="{top}" y2="{_f(bottom)}"/><text class="ref-label" x="{_f(px + 4)}" '
                       f'y="{top + 10}">{esc(x_marker[1])}</text></g>')
    for si, (sname, pts) in enumerate(pts_by_series):
        color = colors[si % len(colors)]
        coords = " ".join(f"{_f(xp(x))},{_f(ys(y))}" for x, y, _ in pts)
        out.append(f'<g class="series" data-series="{esc(sname)}">')
        if len(pts) > 1:
            out.append(f'<polyline class="line" points="{coords}" fill="none" stroke="{color}" '
                       f'stroke-width="2"/>')
        if markers or len(pts) == 1:
            for x, y, raw in pts:
                out.append(f'<circle class="marker" cx="{_f(xp(x))}" cy="{_f(ys(y))}" r="3.5" '
                           f'fill="{color}"><title>{esc(sname)} {esc(raw)}: {y:,.0f}</title>'
                           f"</circle>")
                if point_labels:
                    out.append(f'<text class="point-label" x="{_f(xp(x))}" y="{_f(ys(y) - 7)}" '
                               f'text-anchor="middle">{esc(fmt_compact(y))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def usage_bar(name: str, title: str, used: float | None, limit: float | None, *,
              width: int = 360, used_text: str = "", limit_text: str = "") -> str:
    """A gauge: the share of a limit in use; green < 80 %, amber < 100 %, red above the limit."""
    u, lim = _num(used), _num(limit)
    height = 58
    frac = (abs(u) / lim) if (u is not None and lim not in (None, 0.0)) else None
    out = _svg_open(name, title, width, height, "gauge")
    x0, bw, y, bh = 4, width - 8, 22, 14
    out.append(f'<rect class="gauge-track" x="{x0}" y="{y}" width="{bw}" height="{bh}" '
               f'fill="#e8ebf0"/>')
    if frac is not None:
        color = "#2e9e6a" if frac < 0.8 else ("#e0a030" if frac <= 1.0 + 1e-9 else "#c2412d")
        fill_w = bw * min(frac, 1.0)
        out.append(f'<rect class="bar gauge-fill" x="{x0}" y="{y}" width="{_f(fill_w)}" '
                   f'height="{bh}" fill="{color}" data-value="{frac:.6g}"/>')
        pct = f"{frac * 100:,.1f}% of limit"
    else:
        pct = "no limit set" if u is not None else "n/a"
    text = " / ".join(t for t in (used_text, limit_text) if t)
    out.append(f'<text class="gauge-text" x="4" y="52">'
               f"{esc(text)}{' — ' if text else ''}{esc(pct)}</text>")
    out.append("</svg>")
    return "\n".join(out)
