"""``python -m secure_base.callback``: see :mod:`secure_base.callback.cli`."""

import sys

from secure_base.callback.cli import main

sys.exit(main())
