"""The classifier: features, model, training, calibration, artifacts. No Django here."""
