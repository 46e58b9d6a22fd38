"""The fs tests' task harness with internal storage."""

from tests.integration.fs.conftest import clock as clock
from tests.integration.fs.conftest import harness as harness
from tests.integration.fs.conftest import tasks as tasks
