"""The `modelplane` command line: one module per subcommand, argument parsing only in `__main__`."""
