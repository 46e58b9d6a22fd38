"""The fs tests' fixtures: a real sshd on 127.0.0.1 and the task harness with internal storage."""

from tests.integration.fs.conftest import clock as clock
from tests.integration.fs.conftest import harness as harness
from tests.integration.fs.conftest import sshd as sshd
from tests.integration.fs.conftest import tasks as tasks
