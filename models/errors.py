"""The one exception type the model layer raises for problems a user can fix."""

from models.redaction import redact
from models.text import printable


class QuillpenError(Exception):
    """A clear, user-facing error: its message is shown as one line, without a traceback.

    Its text is made terminal-safe (:func:`models.text.printable`) and any known secret is
    redacted as it is made: messages often quote outside text (a server's answer, a file name
    from the Hub, a name from inside a pickle), and every path to the screen starts here.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact(printable(a)) if isinstance(a, str) else a for a in args))
