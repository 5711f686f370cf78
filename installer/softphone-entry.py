"""Entry point of the frozen app (PyInstaller): the same as the ``softphone`` console script."""

import sys

from softphone.cli import main

if __name__ == "__main__":
    sys.exit(main())
