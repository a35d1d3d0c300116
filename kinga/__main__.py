"""The `kinga` console command: Django's manage.py with Kinga's settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run a management command (`kinga migrate`, `kinga demo`, `kinga audit verify`, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinga.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
