"""The widgets of the quillpen app, one per module."""
