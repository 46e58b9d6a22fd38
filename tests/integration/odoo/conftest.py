from tests.api_double import loopback_allowed  # noqa: F401 - the doubles on 127.0.0.1 are allowed
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

import legato.plugins.odoo  # noqa: F401  (registers the family even before its entry point is installed)
