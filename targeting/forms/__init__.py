"""Forms of targeting, a module per use."""
