"""The app: the ``polyapprox`` command line (:mod:`polyapprox.app.cli`), reports and experiment tables built on both layers."""
