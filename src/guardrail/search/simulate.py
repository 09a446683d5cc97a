"""Simulated candidates with known accuracies, for tests and benchmarks of the strategies.

Case ``i`` has a latent difficulty ``z_i``; candidate ``j`` gets it right when
``rho·z_i + sqrt(1 − rho²)·e_ij < Φ⁻¹(acc_j)``. Each candidate's accuracy is exactly ``acc_j`` in
expectation, and ``rho`` sets how strongly candidates agree on which cases are hard (real prompts on one
model agree a lot; ``rho = 0`` is independent candidates, the worst case for paired statistics).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import NormalDist

import numpy as np

#: 32 accuracies spread like prompt variants of a small base model on a binary task: a few good ones near
#: the top, a long middle, and format failures near zero (cf. SST-2 on Gemma 3 270M: 0% zero-shot,
#: 73–82% four-shot).
REALISTIC_ACCURACIES: tuple[float, ...] = (
    0.82,
    0.80,
    0.79,
    0.77,
    0.76,
    0.75,
    0.74,
    0.73,
    0.72,
    0.70,
    0.68,
    0.66,
    0.64,
    0.62,
    0.60,
    0.58,
    0.55,
    0.52,
    0.50,
    0.50,
    0.48,
    0.45,
    0.40,
    0.35,
    0.30,
    0.25,
    0.20,
    0.10,
    0.05,
    0.02,
    0.0,
    0.0,
)


def simulate_outcomes(
    accuracies: Sequence[float], n_cases: int, *, rho: float = 0.7, seed: int = 0
) -> np.ndarray:
    """A boolean matrix [candidate, case] of correctness."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n_cases)
    e = rng.standard_normal((len(accuracies), n_cases))
    latent = rho * z[None, :] + np.sqrt(1 - rho * rho) * e
    inv = NormalDist().inv_cdf
    thresholds = np.array([inv(min(max(a, 1e-9), 1 - 1e-9)) for a in accuracies])
    return np.asarray(latent < thresholds[:, None], dtype=bool)


class MatrixSource:
    """An ``OutcomeSource`` over a precomputed outcome matrix; counts the calls it would have cost."""

    def __init__(self, matrix: np.ndarray, ids: Sequence[str] | None = None):
        self.matrix = matrix
        self.ids = list(ids) if ids is not None else [f"c{j:02d}" for j in range(matrix.shape[0])]
        self._row = {c: j for j, c in enumerate(self.ids)}
        self.done: dict[str, int] = {}

    @property
    def n_available(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def calls(self) -> int:
        return sum(self.done.values())

    async def outcomes(self, candidate_ids: Sequence[str], n: int) -> Mapping[str, Sequence[bool]]:
        out: dict[str, Sequence[bool]] = {}
        for c in candidate_ids:
            self.done[c] = max(self.done.get(c, 0), n)
            out[c] = [bool(x) for x in self.matrix[self._row[c], :n]]
        return out
