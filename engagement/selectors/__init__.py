"""Read use cases of customer groups, one module per kind of group."""
