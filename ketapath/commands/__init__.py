"""Subcommands of the ``ketapath`` command line, one module each (see ``ketapath.cli``)."""
