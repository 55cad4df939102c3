"""`python -m steerbridge.cli`: the same as the `steerbridge` command."""

from steerbridge.cli.app import main

main()
