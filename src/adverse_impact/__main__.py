"""``python -m adverse_impact``: the command line."""

import sys

from adverse_impact._cli import main

sys.exit(main())
