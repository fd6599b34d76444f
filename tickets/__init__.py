"""The ticket core: directory and ticket models, policy, store, audit and export. No Textual."""
