#!/usr/bin/env python
"""Django's command-line utility; `loom` is the installed equivalent."""

import sys

from loom.cli import main

if __name__ == "__main__":
    sys.exit(main())
