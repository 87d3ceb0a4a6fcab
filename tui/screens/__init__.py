"""Screens: main, help, models, file dialogs."""
