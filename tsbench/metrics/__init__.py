"""Forecast metrics: point, probabilistic, trading and out-of-sample R-squared functions, the metric
registry, evaluation by name, the plan of what is scored on which scale, and scoring of a whole run."""
