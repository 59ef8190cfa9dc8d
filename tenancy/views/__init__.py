"""Screens of the tenancy app, one module per area; each module lists its own URLs."""
