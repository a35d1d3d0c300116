#!/usr/bin/env python
"""Django's command-line utility for Kinga (the same as the `kinga` command)."""

from kinga.__main__ import main

if __name__ == "__main__":
    main()
