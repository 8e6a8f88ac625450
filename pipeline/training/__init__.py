"""Training-only helpers of the shipped models (the recipe itself is in ``scripts/train/``)."""
