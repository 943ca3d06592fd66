"""Shared test settings: a non-interactive matplotlib backend, seeded generators."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
