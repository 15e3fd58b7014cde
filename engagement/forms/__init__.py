"""Forms of the customer groups pages, one module per kind of group."""
