"""`python -m legato.plugins [--check]`: rewrite (or check) the generated type index, see legato.plugins.loader;
`python -m legato.plugins --schema`: write the flows' JSON Schema file, see legato.plugins.schema_file."""

import sys

from legato.plugins import loader, schema_file

if "--schema" in sys.argv[1:]:
    schema_file.write()
    sys.exit(0)
sys.exit(loader.main(sys.argv[1:]))
