"""Everything quillpen keeps per document, and the small state it remembers between starts.

One home, one writer: each module here stores one kind of record as a private (0600) JSON file,
replaced atomically by :func:`tui.store.files.write_record`, and every file carries a
``version``. Readers accept the files earlier versions wrote (no ``version`` field, or an older
number), so an upgrade never loses a user's chats, notes or recovered text.

- :mod:`tui.store.files`: the one writer of these files (atomic, 0600) and their reader;
- :mod:`tui.store.keys`: the key of a document (SHA-256 of its absolute path, or ``untitled``);
- :mod:`tui.store.chats`: chat histories (``data_dir()/chats``);
- :mod:`tui.store.notes`: memory and author's note (``data_dir()/notes``);
- :mod:`tui.store.marks`: which parts of a saved document the model wrote (``data_dir()/marks``);
- :mod:`tui.store.branches`: every version of the text, as a tree (``data_dir()/branches``);
- :mod:`tui.store.journal`: the recovery copy of unsaved text (``state_dir()/recovery``);
- :mod:`tui.store.ui_state`: choices remembered between starts (``state_dir()/ui.json``);
- :mod:`tui.store.personal_words`: the writer's own dictionary (``data_dir()/dictionary.json``);
- :mod:`tui.store.recent`: the files opened lately (``data_dir()/recent.json``);
- :mod:`tui.store.goals`: word goals and each day's starting counts (``data_dir()/goals.json``).
"""
