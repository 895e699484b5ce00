"""Segments as data: the model, parsing with located errors, compiling to sqlglot, describing."""
