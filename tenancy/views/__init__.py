"""Screens of the tenancy app, one module per area; their URLs are in ``tenancy/urls.py``."""
