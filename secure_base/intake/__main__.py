"""``python -m secure_base.intake``: see :mod:`secure_base.intake.cli`."""

import sys

from secure_base.intake.cli import main

sys.exit(main())
