"""Forecast-comparison tests: Diebold-Mariano, Pesaran-Timmermann, Friedman/Nemenyi and the MCS."""

from tsbench.stats.dm import DMResult, diebold_mariano, holm
from tsbench.stats.mcs import MCSResult, model_confidence_set, model_confidence_sets
from tsbench.stats.pt import PTResult, pesaran_timmermann
from tsbench.stats.ranks import FriedmanResult, average_ranks, friedman, nemenyi_cd

__all__ = [
    "DMResult",
    "diebold_mariano",
    "holm",
    "PTResult",
    "pesaran_timmermann",
    "FriedmanResult",
    "average_ranks",
    "friedman",
    "nemenyi_cd",
    "MCSResult",
    "model_confidence_set",
    "model_confidence_sets",
]
