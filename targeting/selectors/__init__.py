"""Read use cases of targeting, one module per use of groups."""
