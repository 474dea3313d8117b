"""The backtest engine: origins and refit blocks, cells, executors, timeouts, the result store and the manifest."""
