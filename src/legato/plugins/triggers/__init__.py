"""Trigger types that read from outside systems: polling ones (HTTP, local files) in this package, realtime ones
in `realtime/`; the SQL ones are in legato.plugins.jdbc, the object-storage ones in legato.plugins.aws, .gcp and
.azure. The contract with the scheduler's runner is in `base`. Each module registers its types when imported
(legato.plugins.loader)."""
