#!/usr/bin/env python
from batea.cli import main

if __name__ == "__main__":
    main()
