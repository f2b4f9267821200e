"""Cycling and assembly protocols: step strings -> step objects."""
