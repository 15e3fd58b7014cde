"""Views of the targeting pages, one module per use of groups."""
