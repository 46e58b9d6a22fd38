"""Unit tests of the store's pure parts (URLs, column types, wake-ups)."""
