"""The leaf enumeration (`optimizer.core.lattice.enumerate_points`) against brute force.

Every integer point of a random ellipsoid cut by random half-spaces is listed by scanning the
ellipsoid's bounding box (its half-widths are ``sqrt(D (M^-1)_jj)``) and testing each point
directly; the enumeration must return exactly that set -- no point lost, none invented, none
twice -- on skewed ellipsoids (where LLL reduction changes the basis), with and without
half-spaces, and when a budget is exceeded it must say so instead of returning a partial list.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizer.core.lattice import TooManyPoints, enumerate_points


def _random_region(rng: np.random.Generator, n: int, n_rows: int
                   ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray]:
    B = rng.normal(size=(n, n))
    B[:, 0] += 3.0 * B[:, -1]  # skewed: the reduced basis differs from the unit one
    M = B.T @ B + 0.05 * np.eye(n)
    center = rng.uniform(-5, 5, n)
    D = float(rng.uniform(2.0, 30.0))
    A = rng.normal(size=(n_rows, n))
    b = A @ center + rng.uniform(-1.0, 2.0, n_rows)  # some rows cut deep, some not at all
    return M, center, D, A, b


def _brute(M: np.ndarray, center: np.ndarray, D: float, A: np.ndarray, b: np.ndarray
           ) -> set[tuple[int, ...]]:
    half = np.sqrt(D * np.diag(np.linalg.inv(M)))
    axes = [np.arange(math.floor(c - w) - 1, math.ceil(c + w) + 2) for c, w in zip(center, half, strict=True)]
    H = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(center))
    X = H - center
    ok = np.einsum("ij,jk,ik->i", X, M, X) <= D
    if len(b):
        ok &= np.all(H @ A.T <= b, axis=1)
    return {tuple(int(v) for v in r) for r in H[ok]}


@pytest.mark.parametrize("n, n_rows", [(2, 0), (3, 0), (3, 4), (4, 6), (5, 3)])
def test_enumeration_equals_brute_force(n: int, n_rows: int) -> None:
    rng = np.random.default_rng(100 * n + n_rows)
    seen_points = 0
    for _ in range(12):
        M, center, D, A, b = _random_region(rng, n, n_rows)
        got = enumerate_points(M, center, D, A, b)
        rows = [tuple(int(v) for v in r) for r in got]
        assert len(rows) == len(set(rows)), "a point listed twice"
        assert set(rows) == _brute(M, center, D, A, b)
        seen_points += len(rows)
    assert seen_points > 0  # the regions are not all empty (the test can fail)


def test_budget_is_reported_not_truncated() -> None:
    rng = np.random.default_rng(7)
    M, center, D, A, b = _random_region(rng, 4, 0)
    full = enumerate_points(M, center, 50.0 * D, A, b)
    assert len(full) > 50
    with pytest.raises(TooManyPoints):
        enumerate_points(M, center, 50.0 * D, A, b, max_work=len(full) // 2)
