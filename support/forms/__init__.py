"""Forms of the support app, one module per area (interactions, support contracts, partners
and workshops). They parse input; the rules are the services'."""
