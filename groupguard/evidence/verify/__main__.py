"""``python -m groupguard.evidence.verify <packet folder> [--public-key ...]``: no Django needed."""

import sys

from groupguard.evidence.verify.run import main

sys.exit(main())
