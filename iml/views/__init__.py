"""Screens of the iml core app, one module per area; their URLs are in ``iml/urls.py``."""
