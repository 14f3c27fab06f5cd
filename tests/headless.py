"""A minimal headless-Chromium driver for the report tests: the Chrome DevTools Protocol over
``--remote-debugging-pipe`` (file descriptors 3 and 4, NUL-separated JSON messages), standard
library only. One browser session serves every page: open a page, collect its console errors
and network requests, evaluate JavaScript, take a full-page screenshot.

Test-only code (not part of the product). ``find_chromium()`` returns None when no browser is
installed; the tests then skip with a message naming ``scripts/install_chromium.sh``.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np


def find_chromium() -> str | None:
    for cand in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


class Browser:
    """One headless Chromium process; ``open(path)`` returns a :class:`PageResult`."""

    def __init__(self, binary: str, *, width: int = 1280, height: int = 900,
                 timeout_s: float = 60.0):
        self.width, self.height, self.timeout_s = width, height, timeout_s
        self._tmp = tempfile.TemporaryDirectory(prefix="report-browser-")
        r_chrome, self._w = os.pipe()
        self._r, w_chrome = os.pipe()
        cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--remote-debugging-pipe", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-extensions",
               "--hide-scrollbars", "--force-device-scale-factor=1",
               f"--user-data-dir={self._tmp.name}", "about:blank"]

        def child_fds() -> None:  # the protocol's fixed descriptors: 3 = in, 4 = out
            os.dup2(r_chrome, 3)
            os.dup2(w_chrome, 4)

        self._proc = subprocess.Popen(cmd, pass_fds=(3, 4), preexec_fn=child_fds,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env={**os.environ, "HOME": self._tmp.name})
        os.close(r_chrome)
        os.close(w_chrome)
        self._buf, self._id = b"", 0
        self._results: dict[int, dict] = {}
        self.events: list[dict] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.send("Target.attachToTarget",
                                  {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.send(method, session=True)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=True)

    # -------------------------------------------------------------------- protocol
    def _pump(self, done) -> None:
        deadline = time.monotonic() + self.timeout_s
        while not done():
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError(f"chromium did not answer within {self.timeout_s} s")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the debugging pipe")
            self._buf += chunk
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    self._results[msg["id"]] = msg
                else:
                    self.events.append(msg)

    def send(self, method: str, params: dict | None = None, *, session: bool = False) -> dict:
        self._id += 1
        i = self._id
        msg: dict[str, Any] = {"id": i, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self._session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        self._pump(lambda: i in self._results)
        out = self._results.pop(i)
        if "error" in out:
            raise RuntimeError(f"{method}: {out['error']}")
        return out.get("result", {})

    def evaluate(self, expression: str) -> Any:
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True}, session=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    # -------------------------------------------------------------------- pages
    def open(self, path: Path) -> PageResult:
        """Load a file; wait for its load event; return console errors and requests made."""
        n0 = len(self.events)
        url = Path(path).resolve().as_uri()
        self.send("Page.navigate", {"url": url}, session=True)
        self._pump(lambda: any(e.get("method") == "Page.loadEventFired"
                               for e in self.events[n0:]))
        self.evaluate("document.fonts ? document.fonts.ready.then(() => true) : true")
        new = self.events[n0:]
        errors = [_console_text(e) for e in new if _is_console_error(e)]
        requests = [e["params"]["request"]["url"] for e in new
                    if e.get("method") == "Network.requestWillBeSent"]
        return PageResult(url=url, console_errors=errors, requests=requests)

    def screenshot(self, path: Path) -> Path:
        """A full-page PNG at the emulated width (the whole document height)."""
        # optimizeForSpeed: Chrome then writes every row with the PNG "Up" filter, which
        # read_png decodes vectorized (the other filters need a slow per-byte loop)
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                    "optimizeForSpeed": True}, session=True)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(base64.b64decode(shot["data"]))
        return Path(path)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._tmp.cleanup()


class PageResult:
    def __init__(self, url: str, console_errors: list[str], requests: list[str]):
        self.url, self.console_errors, self.requests = url, console_errors, requests


def _is_console_error(e: dict) -> bool:
    m, p = e.get("method"), e.get("params", {})
    if m == "Runtime.exceptionThrown":
        return True
    if m == "Runtime.consoleAPICalled":
        return p.get("type") in ("error", "assert")
    if m == "Log.entryAdded":
        return p.get("entry", {}).get("level") in ("error", "warning")
    return False


def _console_text(e: dict) -> str:
    p = e.get("params", {})
    if "entry" in p:
        return f"{p['entry'].get('source')}: {p['entry'].get('text')}"
    if "args" in p:
        return " ".join(str(a.get("value", a.get("description"))) for a in p["args"])
    return json.dumps(p)[:500]


# ----------------------------------------------------------------------------- PNG files

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

