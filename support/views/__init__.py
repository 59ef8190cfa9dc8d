"""Screens of the support app, one module per area; each module lists its own URLs."""
