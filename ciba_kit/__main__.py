"""``python -m ciba_kit`` runs the ``ciba-kit`` command."""

import sys

from .cli import main

sys.exit(main())
