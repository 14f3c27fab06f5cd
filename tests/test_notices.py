"""Warnings a PM reads: every notice of hedge -> rebalance -> scenarios (one command's positions
file fed to the next) renders once, as one readable sentence, the same in the terminal and in
the HTML report; no Python dict/list repr and no bare machine code reaches the reader."""

from __future__ import annotations

import contextlib
import html
import io
import re

import pytest

from optimizer.cli.main import main

_SEV = ("warning", "info", "error")
_REPR = re.compile(r"[{}\[\]]|'\w+'\s*:")
_CODE_LEAD = re.compile(r"^[a-z]+(?:_[a-z0-9]+)+\b")


def _text_notices(out: str) -> list[str]:
    """The terminal's ``Warnings:`` section: ``severity: [subject: ]Sentence.`` per line."""
    lines = out.splitlines()
    assert lines.count("Warnings:") == 1, "one warnings section"
    block = lines[lines.index("Warnings:") + 1:]
    return [ln.strip() for ln in block if ln.startswith("  ") and ln.strip().split(":")[0] in _SEV]


def _html_notices(page: str) -> list[str]:
    """The report's warnings list, as ``severity: [subject: ]Sentence.`` like the terminal."""
    sec = re.search(r'<section id="warnings".*?</section>', page, re.S)
    assert sec, "the report shows the warnings"
    out = []
    for cls, li in re.findall(r'<li class="sev-(\w+)"[^>]*>(.*?)</li>', sec.group(0), re.S):
        li = re.sub(r'<span class="sev">[^<]*</span>\s*', "", li)
        out.append(f"{cls}: " + html.unescape(re.sub(r"<[^>]+>", "", li)).strip())
    return out


def _assert_sentences(notices: list[str], where: str) -> None:
    assert notices, f"{where}: the default mandate's run carries warnings"
    assert len(notices) == len(set(notices)), f"{where}: a warning rendered twice"
    for n in notices:
        sev, _, rest = n.partition(": ")
        assert sev in _SEV and "\n" not in n, n
        assert not _REPR.search(rest), f"{where}: a Python repr in {n!r}"
        sentence = rest.split(": ", 1)[1] if re.match(r"^[^:]{1,120}: \S", rest) else rest
        assert not _CODE_LEAD.match(sentence), f"{where}: a machine code opens {n!r}"
        assert sentence[0].isupper() or sentence[0].isdigit(), f"{where}: {n!r}"
        assert sentence.endswith((".", "!", "?")), f"{where}: {n!r} is not a full sentence"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("notices")
    pos = d / "positions.csv"
    out = {}
    commands = {
        "hedge": ["hedge", "--csv", str(pos)],
        "rebalance": ["rebalance", "--positions", str(pos)],
        "scenarios": ["scenarios", "--positions", str(pos), "--no-replays",
                      "--daily-window", "none"],
    }
    for verb, args in commands.items():
        report = d / f"{verb}.html"
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main([*args, "--report", str(report)]) == 0
        out[verb] = (buf.getvalue(), report.read_text())
    return out


@pytest.mark.parametrize("verb", ["hedge", "rebalance", "scenarios"])
def test_every_notice_is_one_sentence_in_text_and_html(runs, verb):
    text, page = runs[verb]
    t, h = _text_notices(text), _html_notices(page)
    _assert_sentences(t, f"{verb} text")
    _assert_sentences(h, f"{verb} HTML")
    assert sorted(t) == sorted(h), "the terminal and the report show the same warnings"


@pytest.mark.parametrize("verb", ["hedge", "rebalance", "scenarios"])
def test_swap_curve_proxy_names_its_spreads_as_text(runs, verb):
    text, page = runs[verb]
    (proxy,) = [n for n in _text_notices(text) if "swap spread" in n]
    # the stated spreads, per tenor, in bp (models.instruments.swaps.DEFAULT_SWAP_SPREAD_BP)
    assert "2Y -15.0 bp, 3Y -20.0 bp, 5Y -25.0 bp" in proxy
    # about the contracts it concerns, once (not again about "scenarios")
    assert proxy.startswith("warning: SSF5U5, SSF10U5: Swap rates are a proxy, Treasury par")
    assert proxy in _html_notices(page)
