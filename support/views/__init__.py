"""Screens of the support app, one module per area; their URLs are in ``support/urls.py``."""
