"""The exception type steerbridge raises for bad input (its message says what to do), and the
warning category for input it can use but the user should know about."""


class SteerbridgeError(Exception):
    """A problem the user can fix; the message names the problem and the fix."""


class SteerbridgeWarning(UserWarning):
    """Something steerbridge worked around (a corrupt cache set aside, duplicated items, a test
    set too small to judge); the message names the input and what was done."""
