"""The uses of customer groups, a module per use; callers import the package."""
