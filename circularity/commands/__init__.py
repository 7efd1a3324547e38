"""The `circularity` subcommands, one module per area."""
