"""The HTML report in a real browser: headless Debian Chromium renders it, and we check the charts
are laid out with non-zero-size marks (DOM) and actually drew in their series colours (pixels).

Skips with a clear message when no Chromium is installed (``scripts/install_chromium.sh``).
Set ``REPORT_SCREENSHOT_DIR`` to keep the rendered HTML and screenshot for a human look.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from test_report import full_sample_doc

from optimizer.reporting import html as report

WIDTH = 1200
TIMEOUT_S = 60


def _chromium() -> str | None:
    for cand in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium browser installed (run scripts/install_chromium.sh as root to install "
           "Debian's chromium); skipping the headless HTML-report browser test")


def _run_chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-extensions", "--hide-scrollbars",
           "--force-device-scale-factor=1", f"--user-data-dir={profile}", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S,
                              env={**os.environ, "HOME": str(tmp)})
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {TIMEOUT_S} s: {' '.join(cmd)}")
    assert proc.returncode == 0, f"chromium failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc


# Test-only probe: appended to a *copy* of the report (the report itself has no script). It writes
# the layout of every chart into a hidden element that --dump-dom serializes.
_PROBE = """<script>
(function () {
  var out = {height: document.documentElement.scrollHeight, charts: {}};
  document.querySelectorAll('svg[data-chart]').forEach(function (svg) {
    var r = svg.getBoundingClientRect();
    var marks = Array.prototype.filter.call(
      svg.querySelectorAll('rect.bar, circle.marker, polyline.line'),
      function (m) { return m.getAttribute('data-value') !== '0'; });  // a zero bar has no area
    var drawn = 0;
    marks.forEach(function (m) {
      var b = m.getBoundingClientRect(); if (b.width > 0 && b.height > 0) { drawn++; }
    });
    out.charts[svg.getAttribute('data-chart')] = {
      x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height,
      marks: marks.length, drawn: drawn};
  });
  var pre = document.createElement('pre');
  pre.id = 'layout-probe'; pre.style.display = 'none';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def read_png(path: Path) -> np.ndarray:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG into an (h, w, 3) uint8 array (pure Python)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", chunk)
        elif typ == b"IDAT":
            idat.append(chunk)
        elif typ == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, f"unsupported PNG {hdr}"
    bpp = 3 if ctype == 2 else 4
    stride = w * bpp
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(h, stride + 1)
    img = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:]
        if f == 0:
            cur = line.copy()
        elif f == 1:  # Sub: running sum per channel
            cur = (np.cumsum(line.reshape(w, bpp).astype(np.uint32), axis=0) % 256) \
                .astype(np.uint8).reshape(-1)
        elif f == 2:  # Up
            cur = line + prev
        else:  # Average (3) and Paeth (4) are sequential along the row
            ln, up = line.tolist(), prev.tolist()
            out = [0] * stride
            for i in range(stride):
                a = out[i - bpp] if i >= bpp else 0
                b = up[i]
                if f == 3:
                    out[i] = (ln[i] + ((a + b) >> 1)) & 0xFF
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                    out[i] = (ln[i] + pred) & 0xFF
            cur = np.array(out, np.uint8)
        img[y] = cur
        prev = cur
    return img.reshape(h, w, bpp)[:, :, :3]


def _hex(c: str) -> np.ndarray:
    return np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], np.int16)


def _count_color(region: np.ndarray, color: str, tol: int = 6) -> int:
    return int((np.abs(region.astype(np.int16) - _hex(color)).max(axis=2) <= tol).sum())


# chart -> series colours that must be visibly drawn inside its box
EXPECTED_COLORS = {
    "sector-dv01": (report.C_BEFORE, report.C_TARGET, report.C_AFTER),
    "key-rate-dv01": (report.C_BEFORE, report.C_AFTER),
    "tracking-error": (report.C_AFTER,),
    "scenario-pnl": (report.C_HOLD, report.C_HEDGE, report.C_NET),
    "frontier": (report.C_AFTER,),
    "backtest": ("#8d99ab", "#e0a030", "#1f5fa8", "#2e9e6a"),
    "margin-use": ("#e0a030",),       # 87.8 % of budget -> amber
    "leverage-use": ("#2e9e6a",),     # 28 % of limit -> green
}


def test_report_renders_in_headless_chromium(tmp_path):
    doc = full_sample_doc()
    html_path = report.write_report(doc, tmp_path / "report.html",
                                    generated_at="2025-07-01 08:00:00 UTC")
    html = html_path.read_text(encoding="utf-8")
    assert "<script" not in html.lower()

    # 1. DOM/layout: every chart is laid out with its marks drawn at non-zero size.
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    dom = _run_chromium(tmp_path, "--virtual-time-budget=5000", f"--window-size={WIDTH},3000",
                        "--dump-dom", probe.as_uri()).stdout
    assert 'data-chart="scenario-pnl"' in dom
    start = dom.index('<pre id="layout-probe"')
    layout = json.loads(dom[dom.index(">", start) + 1:dom.index("</pre>", start)]
                        .replace("&quot;", '"').replace("&amp;", "&"))
    charts = layout["charts"]
    assert set(EXPECTED_COLORS) <= set(charts), sorted(charts)
    for name, box in charts.items():
        assert box["w"] > 200 and box["h"] > 30, (name, box)
        assert box["marks"] > 0 and box["drawn"] == box["marks"], (name, box)
        assert box["x"] + box["w"] <= WIDTH + 1, f"{name} overflows the page width: {box}"
    assert charts["sector-dv01"]["marks"] == 2 * 3
    assert charts["key-rate-dv01"]["marks"] == 7 * 2
    assert charts["scenario-pnl"]["marks"] == 6 * 3 - 1  # one zero hedge P&L: no area

    # 2. Pixels: a full-page screenshot; every chart box contains its series colours.
    height = int(layout["height"]) + 20
    png = tmp_path / "report.png"
    _run_chromium(tmp_path, f"--window-size={WIDTH},{height}", f"--screenshot={png}",
                  html_path.as_uri())
    img = read_png(png)
    assert img.shape[1] == WIDTH and img.shape[0] >= height - 1
    non_white = (img < 235).any(axis=2)
    assert non_white.mean() > 0.03, "page looks blank"
    for name, colors in EXPECTED_COLORS.items():
        b = charts[name]
        y0, y1 = int(b["y"]), int(b["y"] + b["h"])
        x0, x1 = int(b["x"]), int(b["x"] + b["w"])
        region = img[y0:y1, x0:x1]
        for color in colors:
            n = _count_color(region, color)
            assert n > 40, f"chart {name}: colour {color} drew only {n} pixels"

    # Warnings banner visibly highlighted (its background colour is on screen).
    assert _count_color(img, "#fff4e0", tol=3) > 5_000

    keep = os.environ.get("REPORT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / "report.png")
        shutil.copy(html_path, Path(keep) / "report.html")
