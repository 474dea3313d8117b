"""tsbench plugin: DLinear, a linear model on the trend and remainder of a moving-average decomposition."""

from tsbench_dlinear.dlinear import DLinear

__all__ = ["DLinear"]
