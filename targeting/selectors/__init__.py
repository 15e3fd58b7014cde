"""Read use cases of targeting, a module per use."""
