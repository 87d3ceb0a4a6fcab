"""The one exception type the model layer raises for problems a user can fix."""


class QuillpenError(Exception):
    """A clear, user-facing error: its message is shown as one line, without a traceback."""
