"""`python -m spaces_desktop` runs the command line."""

from spaces_desktop.cli import main

raise SystemExit(main())
