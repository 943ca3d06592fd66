"""``python -m polyapprox``: the same CLI as the ``polyapprox`` command."""

import sys

from polyapprox.cli import main

sys.exit(main())
