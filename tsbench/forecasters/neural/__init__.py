"""Global neural forecasters (LSTM, Transformer, DLinear, PatchTST, ...) on torch, imported only by their modules.

Importing this package does not import torch: the registry loads
``tsbench.forecasters.neural.lstm`` or ``.transformer`` only when an experiment
uses ``lstm`` or ``transformer``.
"""

__all__: list[str] = []
