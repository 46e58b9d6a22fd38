"""The task harness with internal storage (the fs tests'), and the `argocd` test double on the worker's PATH."""

from tests.integration.fs.conftest import clock as clock
from tests.integration.fs.conftest import harness as harness
from tests.integration.fs.conftest import tasks as tasks
