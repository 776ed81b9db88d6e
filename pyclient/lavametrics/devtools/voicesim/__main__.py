"""``python -m lavametrics.devtools.voicesim``: run the voice server simulator, or benchmark it."""

import sys

from lavametrics.devtools.voicesim.command import main

sys.exit(main())
