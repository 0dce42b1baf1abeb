"""Errors that end a command with a one-line message instead of a traceback."""


class ReportError(Exception):
    """The input is not a report that can be read (exit code 2)."""


class BuildError(Exception):
    """A report was read but no output could be built from it (exit code 2)."""


class BuildTimeout(BuildError):
    """The TeX engine ran past its time limit and was stopped."""
