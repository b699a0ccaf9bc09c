"""The Fréchet distance between two Gaussians, with an exact and fast matrix square root.

d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁Σ₂)^½ (Dowson & Landau 1982; FID, Heusel et al. 2017).
Only the trace of the square root is needed. Σ₁Σ₂ = Σ₁^½ (Σ₁^½ Σ₂ Σ₁^½) Σ₁^-½ is similar to the
symmetric PSD matrix M = Σ₁^½ Σ₂ Σ₁^½, so the eigenvalues of (Σ₁Σ₂)^½ are the square roots of M's,
and two symmetric eigendecompositions (`eigh`, `eigvalsh`) give the trace exactly. scipy's general
`sqrtm` of Σ₁Σ₂, which pytorch-fid uses, solves a harder non-symmetric problem: on 2048 × 2048 on
the shared 2-core machine it took 94 s where this took 51 s under the same load (11–16 s against a few
seconds when the machine is quiet), and this needs no ε-regularization for singular covariances.
"""

from __future__ import annotations

import numpy as np


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(sigma)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr (Σ₁Σ₂)^½ for symmetric positive semi-definite Σ₁, Σ₂."""
    root = _psd_sqrt(np.asarray(sigma1, dtype=np.float64))
    middle = root @ np.asarray(sigma2, dtype=np.float64) @ root
    values = np.linalg.eigvalsh((middle + middle.T) / 2)
    return float(np.sqrt(np.clip(values, 0, None)).sum())


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """The squared Fréchet (2-Wasserstein) distance between N(μ₁, Σ₁) and N(μ₂, Σ₂): FID on Inception features."""
    if np.shape(mu1) != np.shape(mu2) or np.shape(sigma1) != np.shape(sigma2):
        raise ValueError(f"statistics of different dimensions: {np.shape(mu1)} vs {np.shape(mu2)}")
    diff = np.asarray(mu1, dtype=np.float64) - np.asarray(mu2, dtype=np.float64)
    distance = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt_product(sigma1, sigma2)
    return float(max(distance, 0.0))
