from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

from legato.plugins import registry

registry()
