"""Flow unit tests (Kestra's test suites, `io.kestra.core.tests.flow.UnitTest`): the suite model, the
assertion operators, and the runner that plays each test case as an execution with its fixtures."""
