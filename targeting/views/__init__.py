"""Pages of targeting, a module per use."""
