"""The segment builder and its condition dialogs."""
