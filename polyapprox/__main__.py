"""``python -m polyapprox``: the same CLI as the ``polyapprox`` command."""

import sys

from polyapprox.app.cli import main

sys.exit(main())
