"""Inline-SVG chart primitives for the self-contained HTML reports (no plotting library, no JS).

Every chart is one ``<svg class="chart ..." data-chart="<name>" role="img">`` element with a
``<title>``, axes whose titles carry their units (``<text class="axis-label" data-axis="x|y">``),
value ticks, a zero line, a legend and series-coloured marks (``<rect class="bar">`` for bars,
``<polyline class="line">`` / ``<circle class="marker">`` for lines). The ``xmlns`` attribute is
deliberately omitted: inline SVG in HTML5 does not need it and the report must contain no URL.
All text is HTML-escaped here.

Scaling: the value axis always includes zero (bars grow from the zero line), uses "nice"
1-2-2.5-5 tick steps, and copes with all-negative, all-zero, single-point and missing (None/NaN)
data. Free-standing labels (point values, reference-line captions, the chosen point) are placed
by :class:`_Placer` at the first candidate position that overlaps no label, marker or reference
line already drawn (text width estimated at 0.6 em a character), so a frontier's value labels
never sit on its budget line.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Sequence
from html import escape

from optimizer.reporting.formatters import compact, finite, number, pct

# Series palette: muted grey for "before", a clear blue for "after"; colour-blind friendly order.
PALETTE = ("#8d99ab", "#e0a030", "#1f5fa8", "#2e9e6a", "#c2412d", "#7b4fa8", "#3aa6b9", "#6b6b6b")
C_CHOSEN = "#c2412d"
FONT = 11  # px; label width estimated at 0.6 em per character
_CHAR_W = FONT * 0.6

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in SVG pixels
Series = Sequence[tuple[str, Sequence[float | None]]]


def esc(value: object) -> str:
    return escape(str(value), quote=True)


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
    vals = [v for v in (finite(x) for x in values) if v is not None]
    if include_zero:
        vals.append(0.0)
    if not vals:
        return 0.0, 1.0
    return min(vals), max(vals)


def truncate(label: str, max_chars: int) -> str:
    label = str(label)
    return label if len(label) <= max_chars else label[: max(1, max_chars - 1)] + "\u2026"


def text_box(x: float, y: float, text: str, anchor: str = "start", size: float = FONT) -> Box:
    """Estimated box of an SVG text whose baseline starts at (x, y) with ``text-anchor``."""
    w = len(text) * size * 0.6
    x0 = x - (w / 2 if anchor == "middle" else w if anchor == "end" else 0.0)
    return (x0, y - size * 0.8, x0 + w, y + size * 0.25)


def _overlap(a: Box, b: Box, pad: float = 1.0) -> bool:
    return not (a[2] + pad <= b[0] or b[2] + pad <= a[0] or a[3] + pad <= b[1] or b[3] + pad <= a[1])


class _Placer:
    """Free-standing labels placed where they overlap nothing drawn so far (see module doc)."""

    def __init__(self, bounds: Box):
        self.bounds = bounds
        self.boxes: list[Box] = []

    def block(self, box: Box) -> None:
        self.boxes.append(box)

    def _fits(self, box: Box) -> bool:
        b = self.bounds
        inside = box[0] >= b[0] and box[1] >= b[1] and box[2] <= b[2] and box[3] <= b[3]
        return inside and not any(_overlap(box, o) for o in self.boxes)

    def place(self, text: str, candidates: Sequence[tuple[float, float, str]],
              size: float = FONT) -> tuple[float, float, str] | None:
        """The first candidate (x, y, anchor) whose box is free, or None (label dropped: a
        label drawn over another is worse than none; the value stays in the tooltip)."""
        for x, y, anchor in candidates:
            box = text_box(x, y, text, anchor, size)
            if self._fits(box):
                self.boxes.append(box)
                return x, y, anchor
        return None


def _svg_open(name: str, title: str, width: int, height: int, kind: str) -> list[str]:
    return [
        f'<svg class="chart chart-{esc(kind)}" data-chart="{esc(name)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
        f'<text class="chart-title" x="4" y="15">{esc(title)}</text>',
    ]


def legend_rows(series_names: Sequence[str], max_w: float) -> list[list[tuple[float, str]]]:
    """Legend entries laid out in rows of at most ``max_w`` px: [[(x offset, label), ...]]."""
    rows: list[list[tuple[float, str]]] = [[]]
    x = 0.0
    for name in series_names:
        label = truncate(name, 44)
        w = 16 + len(label) * _CHAR_W + 14
        if x + w > max_w and rows[-1]:
            rows.append([])
            x = 0.0
        rows[-1].append((x, label))
        x += w
    return rows


LEGEND_ROW_H = 15


def _legend(series_names: Sequence[str], colors: Sequence[str], x0: float, y: float,
            max_w: float) -> list[str]:
    """Every series named: entries wrap onto further rows (the caller leaves room for
    ``len(legend_rows(...))`` rows from ``y``)."""
    out = ['<g class="legend">']
    k = 0
    for r, row in enumerate(legend_rows(series_names, max_w)):
        for dx, label in row:
            x, yy = x0 + dx, y + r * LEGEND_ROW_H
            out.append(f'<rect class="legend-swatch" x="{_f(x)}" y="{_f(yy - 9)}" width="10" '
                       f'height="10" fill="{colors[k % len(colors)]}"/>')
            out.append(f'<text x="{_f(x + 14)}" y="{_f(yy)}">{esc(label)}</text>')
            k += 1
    out.append("</g>")
    return out


def _legend_extra(series_names: Sequence[str], max_w: float) -> int:
    """Extra height (px) the legend needs beyond its first row."""
    return (len(legend_rows(series_names, max_w)) - 1) * LEGEND_ROW_H


def axis_title(axis: str, text: str, x: float, y: float, *, rotate: bool = False) -> str:
    """An axis title (with its unit) that the browser test can find: ``class="axis-label"``."""
    rot = f' transform="rotate(-90 {_f(x)} {_f(y)})"' if rotate else ""
    return (f'<text class="axis-label unit" data-axis="{axis}" x="{_f(x)}" y="{_f(y)}" '
            f'text-anchor="middle"{rot}>{esc(text)}</text>')


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


def _value_axis(sc: _Scale, axis: str, across: tuple[float, float], label: str,
                title_at: tuple[float, float]) -> list[str]:
    """A value axis: per tick a grid line spanning ``across`` (pixels on the other axis) and a
    compact tick label, then the axis title (with its unit) at ``title_at``. ``axis="y"``:
    horizontal grid lines, labels left of ``across[0]`` and the axis line there; ``"x"``:
    vertical grid lines, labels under ``across[1]``."""
    a0, a1 = across
    out = [f'<g class="axis {axis}-axis">']
    for t in sc.ticks:
        p, tick = sc(t), esc(compact(t))
        if axis == "y":
            out.append(f'<line class="grid" x1="{a0}" x2="{a1}" y1="{_f(p)}" y2="{_f(p)}"/>')
            out.append(f'<text class="tick" x="{a0 - 6}" y="{_f(p + 4)}" text-anchor="end">'
                       f"{tick}</text>")
        else:
            out.append(f'<line class="grid" x1="{_f(p)}" x2="{_f(p)}" y1="{a0}" y2="{_f(a1)}"/>')
            out.append(f'<text class="tick" x="{_f(p)}" y="{_f(a1 + 14)}" '
                       f'text-anchor="middle">{tick}</text>')
    if label:
        out.append(axis_title(axis, label, *title_at, rotate=axis == "y"))
    if axis == "y":
        out.append(f'<line class="axis-line" x1="{a0}" x2="{a0}" y1="{sc.p1}" '
                   f'y2="{_f(sc.p0)}"/>')
    out.append("</g>")
    return out


def _y_axis(ys: _Scale, left: float, right_x: float, top: float, bottom: float,
            label: str) -> list[str]:
    """The vertical value axis of a chart whose plot spans ``left..right_x``."""
    return _value_axis(ys, "y", (left, right_x), label, (12, (top + bottom) / 2))


# ----------------------------------------------------------------------------- bar charts

def _bar_rect(x: float, y: float, w: float, h: float, v: float, color: str, series: str,
              tip: str) -> str:
    return (f'<rect class="bar" x="{_f(x)}" y="{_f(y)}" width="{_f(max(w, 0.0))}" '
            f'height="{_f(max(h, 0.0))}" fill="{color}" data-series="{esc(series)}" '
            f'data-value="{v:.6g}"><title>{esc(tip)}</title></rect>')


def _category_bars(label: str, i: int, series: Series, sc: _Scale, colors: Sequence[str],
                   place: Callable[[int, float, float], tuple[float, float, float, float]]
                   ) -> list[str]:
    """Category ``i``'s bars, one per series with a value there, each from the zero line to
    its value: ``place(series index, pixel nearer the origin, length in pixels)`` gives the
    rectangle (x, y, width, height) for vertical or horizontal bars."""
    out, p0 = [], sc(0.0)
    for si, (sname, vals) in enumerate(series):
        v = finite(vals[i]) if i < len(vals) else None
        if v is None:
            continue
        p = sc(v)
        length = max(abs(p - p0), 0.5 if v != 0 else 0.0)
        out.append(_bar_rect(*place(si, min(p, p0), length), v, colors[si % len(colors)],
                             sname, f"{label} {sname}: {number(v)}"))
    return out


def _x_category_labels(cats: Sequence[str], left: float, slot: float, bottom: float,
                       rotate: bool) -> list[str]:
    out = []
    max_chars = 22 if rotate else max(4, int(slot / _CHAR_W) - 1)
    for ci, cat in enumerate(cats):
        cx, label = left + (ci + 0.5) * slot, truncate(cat, max_chars)
        if rotate:
            out.append(f'<text class="tick" x="{_f(cx)}" y="{_f(bottom + 12)}" text-anchor="end" '
                       f'transform="rotate(-35 {_f(cx)} {_f(bottom + 12)})">{esc(label)}'
                       f"<title>{esc(cat)}</title></text>")
        else:
            out.append(f'<text class="tick" x="{_f(cx)}" y="{_f(bottom + 15)}" '
                       f'text-anchor="middle">{esc(label)}<title>{esc(cat)}</title></text>')
    return out


def grouped_bar_chart(name: str, title: str, categories: Sequence[str], series: Series, *,
                      width: int = 760, height: int = 300, x_label: str = "",
                      y_label: str = "", unit: str = "",
                      colors: Sequence[str] | None = None) -> str:
    """Vertical grouped bars: one group per category (x), one bar per series, from the zero line.
    ``y_label`` is the value-axis title with its unit (``unit`` is the older name for it)."""
    colors = list(colors or PALETTE)
    y_label = y_label or unit
    cats = [str(c) for c in categories]
    n_cat, n_ser = max(len(cats), 1), max(len(series), 1)
    max_label = max((len(c) for c in cats), default=1)
    rotate = max_label * _CHAR_W > (width - 80) / n_cat - 4
    bottom = height - 24 - (min(max_label, 22) * _CHAR_W * 0.7 if rotate else 0) \
        - (16 if x_label else 0)
    extra = _legend_extra([s for s, _ in series], width - 82)
    height, bottom = height + extra, bottom + extra
    left, right, top = 70, 12, 42 + extra
    ys = _Scale(*value_range([v for _, vals in series for v in vals]), bottom, top)
    slot = (width - left - right) / n_cat
    bar_w = max(1.0, min(36.0, slot * 0.8 / n_ser))
    out = _svg_open(name, title, width, height, "bar")
    out += _legend([s for s, _ in series], colors, left, 32, width - left - right)
    out += _y_axis(ys, left, width - right, top, bottom, y_label)
    y0 = ys(0.0)
    out.append('<g class="bars">')
    for ci, cat in enumerate(cats):
        gx = left + ci * slot + (slot - bar_w * n_ser) / 2
        out += _category_bars(cat, ci, series, ys, colors,
                              lambda si, y, h, gx=gx: (gx + si * bar_w, y, bar_w * 0.92, h))
    out.append('</g><g class="axis x-axis">')
    out += _x_category_labels(cats, left, slot, bottom, rotate)
    if x_label:
        out.append(axis_title("x", x_label, (left + width - right) / 2, height - 5))
    out.append(f'<line class="zero" x1="{left}" x2="{width - right}" y1="{_f(y0)}" y2="{_f(y0)}"/>')
    out.append("</g></svg>")
    return "\n".join(out)


def _hbar_x_axis(xs: _Scale, top: float, bottom: float, left: float, right_x: float,
                 x_label: str) -> list[str]:
    """The horizontal value axis of a chart whose rows span ``top..bottom``."""
    return _value_axis(xs, "x", (top, bottom), x_label, ((left + right_x) / 2, bottom + 29))


def diverging_hbar_chart(name: str, title: str, labels: Sequence[str], series: Series, *,
                         width: int = 760, row_h: float | None = None, x_label: str = "",
                         y_label: str = "", unit: str = "",
                         colors: Sequence[str] | None = None, symmetric: bool = True,
                         max_label: int = 40) -> str:
    """Horizontal bars diverging left/right from the zero line: one row per label.

    ``x_label`` is the value-axis title with its unit (``unit`` is the older name for it),
    ``y_label`` the title of the category axis. ``symmetric`` centres zero (gains and losses
    compare by length); otherwise the axis spans the data and zero.
    """
    colors = list(colors or PALETTE)
    x_label = x_label or unit
    labs = [str(x) for x in labels]
    n_ser = max(len(series), 1)
    row_h = row_h or max(18.0, 9.0 * n_ser + 8)
    label_chars = min(max((len(x) for x in labs), default=4), max_label)
    left = int(30 + label_chars * _CHAR_W)
    right = 24
    top = 44 + _legend_extra([s for s, _ in series], width - left - right)
    bottom = top + row_h * max(len(labs), 1)
    height = int(bottom + (38 if x_label else 22))
    lo, hi = value_range([v for _, vals in series for v in vals])
    if symmetric:
        lo, hi = -max(abs(lo), abs(hi)), max(abs(lo), abs(hi))
    xs = _Scale(lo, hi, left, width - right, 6)
    x0, bar_h = xs(0.0), max(3.0, (row_h - 6) / n_ser)
    out = _svg_open(name, title, width, height, "hbar")
    out += _legend([s for s, _ in series], colors, left, 32, width - left - right)
    out += _hbar_x_axis(xs, top, bottom, left, width - right, x_label)
    if y_label:
        out.append(axis_title("y", y_label, 12, (top + bottom) / 2, rotate=True))
    out.append('<g class="bars">')
    for ri, lab in enumerate(labs):
        ry = top + ri * row_h + 3
        out.append(f'<text class="tick row-label" x="{left - 6}" y="{_f(ry + (row_h - 6) / 2 + 4)}" '
                   f'text-anchor="end">{esc(truncate(lab, max_label))}<title>{esc(lab)}</title></text>')
        out += _category_bars(lab, ri, series, xs, colors,
                              lambda si, x, w, ry=ry: (x, ry + si * bar_h, w, bar_h * 0.9))
    out.append("</g>")
    out.append(f'<line class="zero" x1="{_f(x0)}" x2="{_f(x0)}" y1="{top - 2}" y2="{_f(bottom)}"/>')
    out.append("</svg>")
    return "\n".join(out)


def band_chart(name: str, title: str, labels: Sequence[str], series: Series, *,
               width: int = 760, x_label: str = "", y_label: str = "",
               colors: Sequence[str] | None = None) -> str:
    """Tolerance bands: one row per label, a shaded band from -1 to +1 and one marker per
    series at its value in band half-widths (``|x| <= 1`` is inside the band)."""
    colors = list(colors or (PALETTE[0], PALETTE[2]))
    labs = [str(x) for x in labels]
    row_h, top, right = 26.0, 44, 24
    left = int(30 + min(max((len(x) for x in labs), default=4), 30) * _CHAR_W)
    bottom = top + row_h * max(len(labs), 1)
    height = int(bottom + (38 if x_label else 22))
    m = max([abs(v) for _, vals in series for v in (finite(x) for x in vals) if v is not None]
            + [1.5])
    xs = _Scale(-m, m, left, width - right, 6)
    out = _svg_open(name, title, width, height, "band")
    out += _legend([s for s, _ in series] + ["Tolerance band"], colors + ["#dff3e7"], left, 32,
                   width - left - right)
    out.append(f'<rect class="band" x="{_f(xs(-1.0))}" y="{top}" width="{_f(xs(1.0) - xs(-1.0))}" '
               f'height="{_f(bottom - top)}" fill="#dff3e7"/>')
    out += _hbar_x_axis(xs, top, bottom, left, width - right, x_label)
    if y_label:
        out.append(axis_title("y", y_label, 12, (top + bottom) / 2, rotate=True))
    out.append('<g class="bars">')
    for ri, lab in enumerate(labs):
        cy = top + (ri + 0.5) * row_h
        out.append(f'<text class="tick row-label" x="{left - 6}" y="{_f(cy + 4)}" '
                   f'text-anchor="end">{esc(truncate(lab, 30))}<title>{esc(lab)}</title></text>')
        for si, (sname, vals) in enumerate(series):
            v = finite(vals[ri]) if ri < len(vals) else None
            if v is None:
                continue
            out.append(f'<circle class="marker" cx="{_f(xs(v))}" cy="{_f(cy + (si - 0.5) * 7)}" '
                       f'r="5" fill="{colors[si % len(colors)]}" data-series="{esc(sname)}" '
                       f'data-value="{v:.6g}"><title>{esc(lab)} {esc(sname)}: {number(v, 2)} band '
                       f"half-widths</title></circle>")
    out.append("</g>")
    out.append(f'<line class="zero" x1="{_f(xs(0.0))}" x2="{_f(xs(0.0))}" y1="{top - 2}" '
               f'y2="{_f(bottom)}"/></svg>')
    return "\n".join(out)


# ----------------------------------------------------------------------------- line charts

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
            return finite(v)
    return finite(v)


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
        idx = -(-(first.year * 12 + first.month - 1) // step) * step  # first multiple of step
        while (d := _dt.date(idx // 12, idx % 12 + 1, 1)) <= last:
            if d >= first:
                label = str(d.year) if step >= 12 else d.strftime("%Y-%m")
                out.append((float((d - d0).days), label))
            idx += step
        if out:
            return out
    step = max(1, int(round((hi - lo) / n)))
    return [(lo + k * step, (first + _dt.timedelta(days=k * step)).isoformat())
            for k in range(int((hi - lo) // step) + 1)]


def _as_date(v: object) -> float | None:
    """A date (object or ISO text) as days since 1970-01-01; anything else None."""
    if isinstance(v, _dt.date):
        return _as_x(v)
    if isinstance(v, str):
        try:
            return float((_dt.date.fromisoformat(v[:10]) - _dt.date(1970, 1, 1)).days)
        except ValueError:
            return None
    return None


def _clean_series(series: Sequence[tuple[str, Sequence[tuple[object, object]]]],
                  dates: bool = False) -> list[tuple[str, list[tuple[float, float, object]]]]:
    out = []
    for sname, pts in series:
        clean = []
        for x, y in pts:
            fx, fy = (_as_date(x) if dates else _as_x(x)), finite(y)
            if fx is not None and fy is not None:
                clean.append((fx, fy, x))
        clean.sort(key=lambda p: p[0])
        out.append((str(sname), clean))
    return out


class _XAxis:
    """The x scale of a line chart (numbers or dates) and its ticks."""

    def __init__(self, xs: list[float], dates: bool, p0: float, p1: float):
        lo, hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
        if dates:
            if hi == lo:
                lo, hi = lo - 1, hi + 1
            self.ticks, self.lo, self.hi = _date_ticks(lo, hi), lo, hi
        else:  # a little room so end points (and their rings) sit inside the frame
            pad = (hi - lo) * 0.04 or abs(hi) * 0.04 or 1.0
            t = nice_ticks(lo - pad if lo - pad >= 0 or lo < 0 else 0.0, hi + pad, 6)
            self.lo, self.hi = t[0], (t[-1] if t[-1] != t[0] else t[0] + 1)
            self.ticks = [(v, compact(v)) for v in t]
        self.p0, self.p1 = p0, p1

    def __call__(self, v: float) -> float:
        return self.p0 + (v - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)


def _line_axes(xp: _XAxis, ys: _Scale, left: float, right_x: float, top: float, bottom: float,
               height: int, x_label: str, y_label: str) -> list[str]:
    out = _y_axis(ys, left, right_x, top, bottom, y_label)
    out.append('<g class="axis x-axis">')
    for t, lab in xp.ticks:
        x = xp(t)
        half = len(lab) * _CHAR_W / 2  # a label at the right edge ends there instead of spilling
        anchor = "end" if x + half > right_x + 14 else "middle"
        out.append(f'<line class="tick-mark" x1="{_f(x)}" x2="{_f(x)}" y1="{_f(bottom)}" '
                   f'y2="{_f(bottom + 4)}"/>')
        out.append(f'<text class="tick" x="{_f(x)}" y="{_f(bottom + 16)}" '
                   f'text-anchor="{anchor}">{esc(lab)}</text>')
    if x_label:
        out.append(axis_title("x", x_label, (left + right_x) / 2, height - 6))
    out.append(f'<line class="axis-line" x1="{left}" x2="{right_x}" y1="{_f(bottom)}" '
               f'y2="{_f(bottom)}"/>')
    if ys.lo <= 0 <= ys.hi:
        out.append(f'<line class="zero" x1="{left}" x2="{right_x}" y1="{_f(ys(0.0))}" '
                   f'y2="{_f(ys(0.0))}"/>')
    out.append("</g>")
    return out


def _x_marker(marker: tuple[float, str], xp: _XAxis, top: float, bottom: float,
              placer: _Placer) -> list[str]:
    """A dashed vertical reference line (e.g. the mandate's margin budget) and its caption."""
    mx = finite(marker[0])
    if mx is None or not xp.lo <= mx <= xp.hi:
        return []
    px = xp(mx)
    placer.block((px - 2, top, px + 2, bottom))
    out = [f'<g class="x-marker"><line class="ref" x1="{_f(px)}" x2="{_f(px)}" y1="{top}" '
           f'y2="{_f(bottom)}"/>']
    spot = placer.place(marker[1], [(px + 5, top + 10, "start"), (px - 5, top + 10, "end"),
                                    (px + 5, bottom - 6, "start"), (px - 5, bottom - 6, "end")],
                        size=10)
    if spot:
        out.append(f'<text class="ref-label" x="{_f(spot[0])}" y="{_f(spot[1])}" '
                   f'text-anchor="{spot[2]}">{esc(marker[1])}</text>')
    out.append("</g>")
    return out


def _label_candidates(x: float, y: float, gap: float) -> list[tuple[float, float, str]]:
    return [(x, y - gap, "middle"), (x, y + gap + 8, "middle"), (x + gap, y + 4, "start"),
            (x - gap, y + 4, "end"), (x + gap, y - gap, "start"), (x - gap, y - gap, "end"),
            (x + gap, y + gap + 8, "start"), (x - gap, y + gap + 8, "end")]


def _highlight(point: tuple[float, float, str], xp: _XAxis, ys: _Scale,
               placer: _Placer) -> list[str]:
    """The chosen point: a ring in the highlight colour and its caption, placed clear of the
    other labels and of reference lines."""
    hx, hy = _as_x(point[0]), finite(point[1])
    if hx is None or hy is None:
        return []
    cx, cy = xp(hx), ys(hy)
    placer.block((cx - 8, cy - 8, cx + 8, cy + 8))
    out = [f'<g class="chosen"><circle class="chosen-ring" cx="{_f(cx)}" cy="{_f(cy)}" r="7.5" '
           f'fill="none" stroke="{C_CHOSEN}" stroke-width="2.5"><title>{esc(point[2])}</title>'
           f"</circle>"]
    spot = placer.place(point[2], _label_candidates(cx, cy, 12) + [
        (cx + 14, cy - 26, "start"), (cx - 14, cy - 26, "end"), (cx + 14, cy + 32, "start"),
        (cx - 14, cy + 32, "end")])
    if spot:
        out.append(f'<text class="chosen-label" x="{_f(spot[0])}" y="{_f(spot[1])}" '
                   f'text-anchor="{spot[2]}">{esc(point[2])}</text>')
    out.append("</g>")
    return out


def _line_series(pts_by_series: list[tuple[str, list[tuple[float, float, object]]]],
                 xp: _XAxis, ys: _Scale, colors: list[str], markers: bool) -> list[str]:
    out = []
    for si, (sname, pts) in enumerate(pts_by_series):
        color = colors[si % len(colors)]
        out.append(f'<g class="series" data-series="{esc(sname)}">')
        if len(pts) > 1:
            coords = " ".join(f"{_f(xp(x))},{_f(ys(y))}" for x, y, _ in pts)
            out.append(f'<polyline class="line" points="{coords}" fill="none" stroke="{color}" '
                       f'stroke-width="2"/>')
        if markers or len(pts) == 1:
            for x, y, raw in pts:
                out.append(f'<circle class="marker" cx="{_f(xp(x))}" cy="{_f(ys(y))}" r="3.5" '
                           f'fill="{color}"><title>{esc(sname)} {esc(raw)}: {number(y)}</title>'
                           f"</circle>")
        out.append("</g>")
    return out


def _point_labels(pts_by_series: list[tuple[str, list[tuple[float, float, object]]]],
                  xp: _XAxis, ys: _Scale, placer: _Placer) -> list[str]:
    out = ['<g class="point-labels">']
    for _, pts in pts_by_series:
        for x, y, _raw in pts:
            text = compact(y)
            spot = placer.place(text, _label_candidates(xp(x), ys(y), 7), size=10)
            if spot:
                out.append(f'<text class="point-label" x="{_f(spot[0])}" y="{_f(spot[1])}" '
                           f'text-anchor="{spot[2]}">{esc(text)}</text>')
    out.append("</g>")
    return out


def line_chart(name: str, title: str, series: Sequence[tuple[str, Sequence[tuple[object, object]]]],
               *, width: int = 760, height: int = 300, x_label: str = "", y_label: str = "",
               dates: bool = False, markers: bool = True, include_zero: bool = True,
               colors: Sequence[str] | None = None, point_labels: bool = False,
               x_marker: tuple[float, str] | None = None,
               highlight: tuple[object, float, str] | None = None) -> str:
    """Lines (with optional circle markers) over numeric or ISO-date x values.

    ``x_marker=(x, caption)`` draws a dashed vertical reference line (e.g. the mandate's budget);
    ``highlight=(x, y, caption)`` rings the chosen point. Value labels, the reference caption and
    the chosen point's caption are placed clear of each other and of the reference line.
    """
    colors = list(colors or PALETTE)
    pts_by_series = _clean_series(series, dates)
    all_y = [p[1] for _, pts in pts_by_series for p in pts]
    if highlight is not None and finite(highlight[1]) is not None:
        all_y.append(float(highlight[1]))
    extra = _legend_extra([s for s, _ in pts_by_series], width - 70 - 18)
    height += extra
    left, right, top, bottom = 70, 18, 52 + extra, height - (40 if x_label else 28)
    ys = _Scale(*value_range(all_y, include_zero=include_zero), bottom, top)
    xp = _XAxis([p[0] for _, pts in pts_by_series for p in pts], dates, left, width - right)
    out = _svg_open(name, title, width, height, "line")
    out += _legend([s for s, _ in pts_by_series], colors, left, 32, width - left - right)
    out += _line_axes(xp, ys, left, width - right, top, bottom, height, x_label, y_label)
    placer = _Placer((left + 1, top - 10, width - 2, bottom - 2))
    for _, pts in pts_by_series if markers else []:
        for x, y, _raw in pts:
            placer.block((xp(x) - 4, ys(y) - 4, xp(x) + 4, ys(y) + 4))
    if x_marker is not None:
        out += _x_marker(x_marker, xp, top, bottom, placer)
    if highlight is not None:
        out += _highlight(highlight, xp, ys, placer)
    out += _line_series(pts_by_series, xp, ys, colors, markers)
    if point_labels:
        out += _point_labels(pts_by_series, xp, ys, placer)
    out.append("</svg>")
    return "\n".join(out)


# ----------------------------------------------------------------------------- gauges

def usage_bar(name: str, title: str, used: float | None, limit: float | None, *,
              width: int = 360, used_text: str = "", limit_text: str = "",
              axis_label: str = "Share of limit used (%)") -> str:
    """A gauge: the share of a limit in use on a 0-100 %+ scale; green < 80 %, amber up to the
    limit, red above it."""
    u, lim = finite(used), finite(limit)
    frac = (abs(u) / lim) if (u is not None and lim not in (None, 0.0)) else None
    height, x0, y, bh = 92, 8, 22, 14
    span = max(1.0, frac or 0.0)
    bw = width - 2 * x0 - 16
    out = _svg_open(name, title, width, height, "gauge")
    out.append(f'<rect class="gauge-track" x="{x0}" y="{y}" width="{_f(bw / span)}" '
               f'height="{bh}" fill="#e8ebf0"/>')
    if frac is not None:
        color = "#2e9e6a" if frac < 0.8 else ("#e0a030" if frac <= 1.0 + 1e-9 else "#c2412d")
        out.append(f'<rect class="bar gauge-fill" x="{x0}" y="{y}" width="{_f(bw * frac / span)}" '
                   f'height="{bh}" fill="{color}" data-value="{frac:.6g}"/>')
        pct_text = f"{frac * 100:,.1f}% of limit"
    else:
        pct_text = "no limit set" if u is not None else "n/a"
    out.append('<g class="axis x-axis">')
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] + ([span] if span > 1.0 + 1e-9 else []):
        tx = x0 + bw * t / span
        out.append(f'<line class="tick-mark" x1="{_f(tx)}" x2="{_f(tx)}" y1="{y + bh}" '
                   f'y2="{y + bh + 4}"/><text class="tick" x="{_f(tx)}" y="{y + bh + 15}" '
                   f'text-anchor="middle">{pct(t, 0)}</text>')
    out.append(axis_title("x", axis_label, x0 + bw / 2, y + bh + 30))
    out.append("</g>")
    text = " / ".join(t for t in (used_text, limit_text) if t)
    out.append(f'<text class="gauge-text" x="4" y="{height - 4}">'
               f"{esc(text)}{' — ' if text else ''}{esc(pct_text)}</text>")
    out.append("</svg>")
    return "\n".join(out)
