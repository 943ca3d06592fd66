"""Shared test settings: a non-interactive matplotlib backend, seeded generators."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _estimates_for_an_idle_machine(monkeypatch):
    """The CLI's time estimates scale with the machine's current load (polyapprox.app.cli._estimate.load_factor);
    tests fix it at one process per core, so whether a command prints its estimate line does not depend on
    what else runs on the machine."""
    monkeypatch.setattr("polyapprox.app.cli._estimate.load_factor", lambda: 1.0)
