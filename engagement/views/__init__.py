"""Views of the Engage section, one module per page family."""
