"""KL divergence between two distributions known only through samples: the k-NN estimator.

Pérez-Cruz, "Kullback-Leibler divergence estimation of continuous distributions", ISIT 2008; with
the same k for both sets the digamma terms cancel (Wang, Kulkarni & Verdú 2009):

  D̂(P‖Q) = (d/n) Σᵢ log(νₖ(xᵢ)/ρₖ(xᵢ)) + log(m/(n − 1)),

ρₖ the distance from xᵢ ∈ P-samples (n) to its k-th nearest other P-sample, νₖ to its k-th nearest
Q-sample (m). The dpVAE authors use k = 1 on 5,000 samples each to compute sKL.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def knn_kl_divergence(p: np.ndarray, q: np.ndarray, k: int = 1) -> float:
    """D̂(P‖Q) from samples p (n, d) of P and q (m, d) of Q, exact neighbours (no approximation)."""
    p, q = np.atleast_2d(np.asarray(p, np.float64)), np.atleast_2d(np.asarray(q, np.float64))
    (n, d), m = p.shape, len(q)
    if q.shape[1] != d:
        raise ValueError(f"samples of different dimensions: {d} and {q.shape[1]}")
    if not 1 <= k < n or k > m:
        raise ValueError(f"k = {k} needs more than k samples of P (got {n}) and at least k of Q (got {m})")
    rho = cKDTree(p).query(p, k=k + 1)[0][:, k]  # the nearest "neighbour" of a point is itself
    nu = cKDTree(q).query(p, k=k)[0]
    nu = nu[:, k - 1] if k > 1 else nu
    if np.any(rho == 0) or np.any(nu == 0):
        raise ValueError("repeated samples make the k-NN estimate infinite; use continuous samples")
    return float(d * np.mean(np.log(nu / rho)) + np.log(m / (n - 1)))


def symmetric_kl(p: np.ndarray, q: np.ndarray, k: int = 1) -> float:
    """KL(P‖Q) + KL(Q‖P), the paper's sKL."""
    return knn_kl_divergence(p, q, k) + knn_kl_divergence(q, p, k)
