"""Git-native deploy: a directory of flows, namespace files and test suites (Kestra's layout or a flat folder)
compared with a Legato instance (local store or remote API), planned and applied one namespace at a time."""
