"""The one exception type that the command line turns into a one-line message."""


class SodbenchError(Exception):
    """A problem with the user's input or setup, explained in one line.

    The message names the file (or option) at fault and, where there is one, the fix.
    The CLI prints it as ``error: <message>`` and exits with :attr:`exit_code`
    instead of a traceback (``--debug`` shows the traceback).
    """

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
