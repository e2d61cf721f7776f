"""PyInstaller's entry script for the `rtprobe` executable: the same as the console script."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
