"""The global LightGBM forecaster with the lag features, transforms and panel arrays it alone uses."""
