"""``python -m secure_base.catalog``: see :mod:`secure_base.catalog.cli`."""

import sys

from secure_base.catalog.cli import main

sys.exit(main())
