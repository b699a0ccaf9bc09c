"""The Fréchet distance's fast trace of sqrtm(Σ₁Σ₂) against scipy's general matrix square root."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from dpzoo.evaluate.frechet import frechet_distance, trace_sqrt_product


def _covariance(rng: np.random.Generator, dim: int, rank: int) -> np.ndarray:
    factor = rng.normal(size=(dim, rank))
    return factor @ factor.T / rank


def _scipy_frechet(mu1, sigma1, mu2, sigma2) -> float:
    """pytorch-fid's formula with scipy's sqrtm, written out independently."""
    root = linalg.sqrtm(sigma1 @ sigma2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(root.real))


@pytest.mark.parametrize("dim, rank", [(5, 5), (12, 30), (20, 8)])
def test_trace_sqrt_product_matches_scipy_sqrtm(dim: int, rank: int) -> None:
    rng = np.random.default_rng(dim)
    sigma1, sigma2 = _covariance(rng, dim, rank), _covariance(rng, dim, rank + 3)
    expected = np.trace(linalg.sqrtm(sigma1 @ sigma2)).real
    assert trace_sqrt_product(sigma1, sigma2) == pytest.approx(expected, rel=1e-7)


def test_frechet_distance_matches_scipy_formula() -> None:
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=16), rng.normal(size=16)
    sigma1, sigma2 = _covariance(rng, 16, 40), _covariance(rng, 16, 25)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(_scipy_frechet(mu1, sigma1, mu2, sigma2), rel=1e-8)


def test_frechet_distance_of_one_dimensional_gaussians_is_closed_form() -> None:
    # W2² between N(m1, s1²) and N(m2, s2²) is (m1 − m2)² + (s1 − s2)².
    value = frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([-0.5]), np.array([[0.25]]))
    assert value == pytest.approx(1.5**2 + (2 - 0.5) ** 2)


def test_frechet_distance_is_zero_for_equal_and_symmetric_for_different_statistics() -> None:
    rng = np.random.default_rng(1)
    mu, sigma = rng.normal(size=8), _covariance(rng, 8, 4)  # singular: rank 4 of 8
    other_mu, other_sigma = rng.normal(size=8), _covariance(rng, 8, 12)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0, abs=1e-9)
    assert frechet_distance(mu, sigma, other_mu, other_sigma) == pytest.approx(frechet_distance(other_mu, other_sigma, mu, sigma), rel=1e-6)


def test_frechet_distance_rejects_statistics_of_different_sizes() -> None:
    with pytest.raises(ValueError, match="different dimensions"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
