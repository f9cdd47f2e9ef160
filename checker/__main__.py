"""``python -m checker``: see `checker.cli`."""

import sys

from .cli import main

sys.exit(main())
