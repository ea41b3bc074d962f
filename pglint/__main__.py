"""``python -m pglint``.

``python -m`` puts the current directory first on ``sys.path``, so a checked project's
own ``codes.py`` or ``libcst/`` could shadow what pglint imports.  pglint never needs the
current directory on its path: it is removed before anything else is imported.
"""

import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from pglint.cli import main  # noqa: E402

sys.exit(main())
