"""``python -m gate``: the gate's own command line, as its container runs it."""

from __future__ import annotations

import sys

from gate.server import main

sys.exit(main(sys.argv[1:]))
