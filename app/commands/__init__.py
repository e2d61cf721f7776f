"""The rtprobe subcommands that need more than a few lines."""
