"""Forms of the tenancy app, one module per area (contracts and ledger, inventories and
incidents, owner side). They parse input; the rules are the services'."""
