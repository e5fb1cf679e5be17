"""``python -m intcheck`` is the ``intcheck`` command."""

from intcheck.cli import main

raise SystemExit(main())
