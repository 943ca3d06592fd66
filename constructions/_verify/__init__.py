"""Private implementation package of :mod:`constructions` (no stability promise)."""
