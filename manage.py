#!/usr/bin/env python
"""Developer entry point: like `batea`, but with DEBUG on unless the environment says
otherwise (operators use the `batea` command with their production environment)."""

import os

from batea.cli import main

if __name__ == "__main__":
    os.environ.setdefault("DEBUG", "1")
    main()
