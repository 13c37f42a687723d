"""medeff: the helper package of "Deep Learning Model Efficiency" (lecture 14).

Every lecture notebook and assignment imports it, as ``import medeff as me``.
Each public helper names in its docstring the lecture that explains it.
"""

from . import (
    case_study,
    data,
    distillation,
    dynamic,
    models,
    pruning,
    quantization,
    seed_figures,
)
from .config import cache_dir, is_fast, pick
from .counting import (
    LayerCost,
    count_macs,
    count_params,
    mac_breakdown,
    model_size_bytes,
    serialized_size_bytes,
    thop_macs,
)
from .latency import Latency, LatencyComparison, compare_latency, measure_latency, num_threads
from .metrics import accuracy, dice_score
from .model_cache import data_fingerprint, train_cached
from .plotting import plot_history, plot_latency_vs_macs, plot_tradeoff
from .training import History, evaluate, fit, seeded_loader, set_seed

__version__ = "0.1.0"

__all__ = [
    "History",
    "LayerCost",
    "Latency",
    "LatencyComparison",
    "accuracy",
    "cache_dir",
    "compare_latency",
    "count_macs",
    "count_params",
    "dice_score",
    "evaluate",
    "fit",
    "is_fast",
    "mac_breakdown",
    "measure_latency",
    "model_size_bytes",
    "num_threads",
    "pick",
    "plot_history",
    "plot_latency_vs_macs",
    "plot_tradeoff",
    "serialized_size_bytes",
    "seeded_loader",
    "set_seed",
    "thop_macs",
    "data",
    "distillation",
    "models",
    "pruning",
    "quantization",
    "seed_figures",
    "data_fingerprint",
    "train_cached",
    "dynamic",
    "case_study",
]
