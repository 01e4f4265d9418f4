"""`python -m saropt` runs the command line."""

from saropt.cli.main import main

main()
