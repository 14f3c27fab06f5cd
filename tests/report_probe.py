"""Layout checks of a rendered report page, run inside the browser (test-only helper).

``PROBE_JS`` measures, at the emulated 1280 px width: horizontal overflow of the page and of
every element; words broken across lines inside table cells and headers (a mid-word break such
as "Integ/er"); for every chart its box, drawn marks, axis titles and every pair of overlapping
text labels (or a label crossing a reference line); and the rendered text of every section's
tables (``tables[section id] = [{head, body, foot, classes}]``) and of every section
(``text[section id]``) for comparing the page with the result dict. :func:`problems` turns the
layout measurements into messages.
"""

from __future__ import annotations

PROBE_JS = r"""
(() => {
  const W = document.documentElement.clientWidth;
  const out = {viewport: W, scrollWidth: document.documentElement.scrollWidth,
               height: document.documentElement.scrollHeight, overflow: [], brokenWords: [],
               charts: {}, sections: []};
  document.querySelectorAll('body *').forEach(el => {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > W + 0.5 && !el.closest('svg')) {
      out.overflow.push(el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className +
                        ' right=' + Math.round(r.right));
    }
  });
  document.querySelectorAll('section[id]').forEach(s => out.sections.push(s.id));
  const cells = document.querySelectorAll('table th, table td, .card .label, .meta span');
  cells.forEach(cell => {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const re = /\S+/g; let m;
      while ((m = re.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
        const lines = new Set(rects.map(r => Math.round(r.top)));
        if (lines.size > 1) { out.brokenWords.push(m[0] + ' in "' + cell.textContent.trim().slice(0, 60) + '"'); }
      }
    }
  });
  const boxOf = el => { const r = el.getBoundingClientRect();
    return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
  const overlap = (a, b) => Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > 1 &&
                            Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > 1;
  document.querySelectorAll('svg[data-chart]').forEach(svg => {
    const r = svg.getBoundingClientRect();
    const marks = Array.from(svg.querySelectorAll('rect.bar, circle.marker, polyline.line'))
      .filter(m => m.getAttribute('data-value') !== '0');
    const drawnMarks = marks.filter(m => { const b = m.getBoundingClientRect();  // a flat line is drawn
      return m.tagName === 'polyline' ? (b.width > 0 || b.height > 0) : (b.width > 0 && b.height > 0);
    });
    const drawn = drawnMarks.length;
    const colors = Array.from(new Set(drawnMarks.map(m =>
      (m.tagName === 'polyline' ? m.getAttribute('stroke') : m.getAttribute('fill')) || '')))
      .filter(c => /^#[0-9a-f]{6}$/i.test(c));
    const texts = Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim());
    const boxes = texts.map(boxOf);
    const clashes = [];
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        if (overlap(boxes[i], boxes[j])) {
          clashes.push(texts[i].textContent.trim() + ' / ' + texts[j].textContent.trim());
        }
      }
      svg.querySelectorAll('line.ref').forEach(line => {
        const b = boxOf(line); b.x0 -= 1; b.x1 += 1;
        if (!texts[i].classList.contains('ref-label') && overlap(boxes[i], b)) {
          clashes.push(texts[i].textContent.trim() + ' / reference line');
        }
      });
    }
    const outside = texts.filter((t, i) => boxes[i].x0 < r.left - 1 || boxes[i].x1 > r.right + 1 ||
                                           boxes[i].y0 < r.top - 1 || boxes[i].y1 > r.bottom + 1)
                         .map(t => t.textContent.trim());
    const axes = {};
    svg.querySelectorAll('text.axis-label').forEach(t => { axes[t.getAttribute('data-axis')] =
                                                           t.textContent.trim(); });
    out.charts[svg.getAttribute('data-chart')] = {
      x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height,
      marks: marks.length, drawn: drawn, colors: colors, axes: axes, clashes: clashes,
      outside: outside,
      kind: svg.getAttribute('class')};
  });
  document.querySelectorAll('section[id]').forEach(s => {
    out.tables = out.tables || {};
    out.tables[s.id] = Array.from(s.querySelectorAll('table.data')).map(t => ({
      head: Array.from(t.querySelectorAll('thead th')).map(c => c.innerText.trim()),
      body: Array.from(t.querySelectorAll('tbody tr')).map(r =>
        Array.from(r.querySelectorAll('th, td')).map(c => c.innerText.trim())),
      foot: Array.from(t.querySelectorAll('tfoot tr')).map(r =>
        Array.from(r.querySelectorAll('td')).map(c => c.innerText.trim())),
      classes: Array.from(t.querySelectorAll('tbody tr')).map(r =>
        Array.from(r.querySelectorAll('th, td')).map(c =>
          Array.from(c.querySelectorAll('span')).map(sp => sp.className).join(' ')))}));
    out.text = out.text || {};
    out.text[s.id] = s.innerText;
  });
  return out;
})()
"""

# a unit in an axis title: "(USD)", "(USD per bp)", "(%)", "(bp)", "(years)", or a date axis
UNIT_WORDS = ("USD", "%", "bp", "year", "Date", "contracts", "band half-width", "tenor",
              "Sector", "Scenario", "Hedge")


def problems(layout: dict, name: str) -> list[str]:
    """Every layout problem of one page as a readable message (empty list = clean)."""
    out = []
    if layout["scrollWidth"] > layout["viewport"]:
        out.append(f"{name}: page scrolls horizontally ({layout['scrollWidth']} px > "
                   f"{layout['viewport']} px)")
    out += [f"{name}: element overflows the page: {o}" for o in layout["overflow"][:5]]
    out += [f"{name}: word broken across lines: {w}" for w in layout["brokenWords"][:5]]
    for chart, c in layout["charts"].items():
        where = f"{name}/{chart}"
        if c["marks"] and c["drawn"] != c["marks"]:
            out.append(f"{where}: {c['marks'] - c['drawn']} of {c['marks']} marks not drawn")
        if c["clashes"]:
            out.append(f"{where}: overlapping labels: {c['clashes'][:4]}")
        if c["outside"]:
            out.append(f"{where}: labels outside the chart: {c['outside'][:4]}")
        value_axis = [t for t in c["axes"].values() if "(" in t and ")" in t]
        if "gauge" in c["kind"]:
            if not c["axes"].get("x") or "%" not in c["axes"]["x"]:
                out.append(f"{where}: gauge without a labelled % axis: {c['axes']}")
        elif set(c["axes"]) != {"x", "y"}:
            out.append(f"{where}: axis titles missing: {c['axes']}")
        elif not value_axis:
            out.append(f"{where}: no axis title names a unit in parentheses: {c['axes']}")
    return out
