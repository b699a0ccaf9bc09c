"""The `dpzoo` command line: thin Typer commands over the library."""
