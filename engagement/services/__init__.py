"""Write use cases of customer groups, one module per kind of group."""
