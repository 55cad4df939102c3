"""The one exception type steerbridge raises for bad input: its message says what to do."""


class SteerbridgeError(Exception):
    """A problem the user can fix; the message names the problem and the fix."""
