"""pytest plugin: fixtures that start the plan's mocks (being written)."""
