"""Prompts for a base model: specs, window fitting, chat transcripts, Chinese output. No engine
here."""
