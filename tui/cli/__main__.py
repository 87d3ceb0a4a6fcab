"""``python -m tui.cli``: the console script."""

import sys

from tui.cli import main

sys.exit(main())
