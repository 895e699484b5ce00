"""`python -m queries.demo OUT [CUSTOMERS] [SEED]`: generate a demo snapshot of any size."""

import sys

from queries.demo.generate import _main

_main(sys.argv[1:])
