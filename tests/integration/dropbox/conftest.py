from tests.api_double import loopback_allowed  # noqa: F401 - the doubles on 127.0.0.1 are allowed
from tests.integration.fs.conftest import clock as clock
from tests.integration.fs.conftest import harness as harness
from tests.integration.fs.conftest import tasks as tasks
