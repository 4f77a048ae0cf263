"""The bundled sample web and the story ``citewatch demo`` tells on it (``story.py``)."""
