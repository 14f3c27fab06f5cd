"""The leverage measure a mandate may choose: per-contract weights against max_leverage x MV
(hand-checked numbers), the mandate field, and its wiring into the hedge inputs."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest

from data.errors import InputError
from optimizer.core import problem as P
from optimizer.mandate import LEVERAGE_MEASURES, leverage_weights, load_mandate


def test_weights_by_measure_hand_checked():
    notional = [110_000.0, 140_000.0, 206_000.0]          # ZN, ZB, ZT
    dv01 = [66.0, 150.0, 33.0]
    g = leverage_weights("gross_notional", notional, dv01, 66.0, 110_000.0, 400_000.0, 800e6)
    np.testing.assert_allclose(g, notional)
    t = leverage_weights("ten_year_equivalent", notional, dv01, 66.0, 110_000.0, 4e5, 8e8)
    # a ZB counts as 150/66 ZN notionals; a ZT as half a ZN
    np.testing.assert_allclose(t, [110_000.0, 250_000.0, 55_000.0])
    d = leverage_weights("dv01_weighted", notional, dv01, 66.0, 110_000.0, 400_000.0, 800e6)
    # hedge DV01 <= L x portfolio DV01: each $1 of DV01 counts as MV / DV01 = $2,000
    np.testing.assert_allclose(d, [132_000.0, 300_000.0, 66_000.0])
    with pytest.raises(InputError, match="leverage_measure"):
        leverage_weights("notional", notional, dv01, 66.0, 1.0, 1.0, 1.0)


def test_mandate_field(tmp_path):
    p = tmp_path / "m.toml"
    p.write_text('[targets.Treasury]\ndv01_pct = 0\ninstruments = ["ZN"]\n'
                 '[limits]\nmax_leverage = 0.5\nleverage_measure = "dv01_weighted"\n')
    m = load_mandate(p)
    assert m.leverage_measure == "dv01_weighted" and m.leverage_measure in LEVERAGE_MEASURES
    assert "dv01 weighted" in m.summary()["max leverage"]
    assert load_mandate(None).leverage_measure == "gross_notional"
    p.write_text('[limits]\nleverage_measure = "notional"\n')
    with pytest.raises(InputError, match="leverage_measure"):
        load_mandate(p)


def test_hedge_inputs_carry_the_weights():
    from optimizer.assemble import build_context

    m = replace(load_mandate(None), leverage_measure="ten_year_equivalent")
    if "leverage_weight" not in {f.name for f in fields(P.HedgeInputs)}:
        with pytest.raises(InputError, match="leverage_weight"):
            build_context(None, m, asof="2025-07-11")
        return
    ctx = build_context(None, m, asof="2025-07-11")
    zn = next(ir for ir in ctx.instruments if ir.root == "ZN")
    w = np.asarray(ctx.inputs.leverage_weight)
    for k, ir in enumerate(ctx.instruments):
        assert w[k] == pytest.approx(abs(ir.dv01_usd) / zn.dv01_usd * abs(zn.notional_usd))
