# No Django admin for the housing stock: platform staff do not read operators' data (and
# row-level security would show them none). Operators manage their stock in the app.
