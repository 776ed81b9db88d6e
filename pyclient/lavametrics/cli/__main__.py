"""``python -m lavametrics.cli``: the same as the ``lavametrics`` command."""

import sys

from lavametrics.cli import main

sys.exit(main())
