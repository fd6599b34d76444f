"""Small widgets and renderers shared by the agent screens."""
