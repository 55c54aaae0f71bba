"""One exception type for everything a user can get wrong, so the CLI can print one line."""


class CrossmodalError(Exception):
    """A problem with the user's input, config or files, reported without a traceback."""
