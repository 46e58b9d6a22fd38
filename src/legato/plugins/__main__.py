"""`python -m legato.plugins [--check]`: rewrite (or check) the generated type index, see legato.plugins.loader."""

import sys

from legato.plugins import loader

sys.exit(loader.main(sys.argv[1:]))
