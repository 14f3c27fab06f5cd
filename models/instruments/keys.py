"""Key-rate helpers shared by the swap and SOFR futures: triangular bumps on a curve's own
tenors and the re-expression of key-rate DV01s on the hedge's key tenors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from data.loaders import tenor_to_years


def triangular_bump(labels: Sequence[str], key: str, bp: float = 1.0) -> np.ndarray:
    """Shift (decimal) of each tenor in ``labels`` for a ``bp`` bump of ``key``: 1 at the key,
    linear to 0 at the neighbouring tenors, flat beyond the first/last (the bumps of all keys
    add up to a parallel shift)."""
    t = np.array([tenor_to_years(k) for k in labels])
    k = tenor_to_years(key)
    keys = np.sort(t)
    i = int(np.searchsorted(keys, k))
    lo = keys[i - 1] if i > 0 else None
    hi = keys[i + 1] if i + 1 < len(keys) else None
    w = np.zeros_like(t)
    w[t == k] = 1.0
    if lo is not None:
        m = (t > lo) & (t < k)
        w[m] = (t[m] - lo) / (k - lo)
    else:
        w[t < k] = 1.0
    if hi is not None:
        m = (t > k) & (t < hi)
        w[m] = (hi - t[m]) / (hi - k)
    else:
        w[t > k] = 1.0
    return w * bp / 1e4


def map_to_key_tenors(krd: Mapping[str, float], key_tenors: Sequence[str]) -> dict[str, float]:
    """Re-express key-rate DV01s given on other tenors (e.g. a swap curve's 1Y, 4Y) on our key
    tenors by linear interpolation weights (flat beyond the ends). Preserves the total."""
    keys = list(key_tenors)
    if not keys:
        return {}
    keys_y = np.array([tenor_to_years(k) for k in keys])
    out = dict.fromkeys(keys, 0.0)
    for label, v in krd.items():
        if not v:
            continue
        t = tenor_to_years(label)
        if t <= keys_y[0]:
            out[keys[0]] += v
        elif t >= keys_y[-1]:
            out[keys[-1]] += v
        else:
            j = int(np.searchsorted(keys_y, t))
            lo, hi = keys_y[j - 1], keys_y[j]
            w = (hi - t) / (hi - lo)
            out[keys[j - 1]] += w * v
            out[keys[j]] += (1 - w) * v
    return {k: float(v) for k, v in out.items()}
