import sys

from pglint.cli import main

sys.exit(main())
