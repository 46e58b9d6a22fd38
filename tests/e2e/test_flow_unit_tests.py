"""`legato test` as a user runs it: the test-suite examples of Kestra's "Unit Tests" documentation, unchanged,
against their flows (the flows adapted only where they reach outside: the download comes from a local HTTP
server, the BigQuery load is a Log task), in real processes on throw-away stores; pytest-like output, JUnit XML,
the exit code."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

LEGATO = str(Path(sys.executable).with_name("legato"))
ORDERS = """{"Account": {"Account Name": "Firefly", "Order": [{"OrderID": "order103", "Product": [
  {"Product Name": "Bowler Hat", "ProductID": 858383, "Price": 34.45, "Quantity": 2},
  {"Product Name": "Trilby hat", "ProductID": 858236, "Price": 21.67, "Quantity": 1}]}]}}"""


@pytest.fixture(scope="module")
def orders_url() -> Iterator[str]:
    """A local HTTP server standing in for the dataset the documentation's flow downloads."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = ORDERS.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/json/orders.json"
    server.shutdown()


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def legato_test(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # the SSRF guard lets the flows reach the local server standing in for the dataset
    env = {**os.environ, "LEGATO_HTTP_ALLOWED_NETWORKS": "127.0.0.1/32"}
    return subprocess.run([LEGATO, "test", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=env)


ETL_FLOW = """\
id: etl_daily_products_bigquery
namespace: company.team

tasks:
  - id: send_slack_message_started
    type: io.kestra.plugin.slack.notifications.SlackIncomingWebhook
    url: "https://kestra.io/api/mock"
    payload: |
      {
        "text": "{{ flow.namespace }}.{{ flow.id }}: Daily products flow has started"
      }

  - id: extract
    type: io.kestra.plugin.core.http.Download
    uri: ORDERS_URL

  - id: transform_to_products_name
    type: io.kestra.plugin.core.debug.Return
    format: "{{ fromJson(read(outputs.extract.uri)) | jq('.Account.Order[].Product[].\\"Product Name\\"') }}"

  - id: transform_to_uppercase
    type: io.kestra.plugin.core.debug.Return
    format: "{{ fromJson(outputs.transform_to_products_name.value) | upper }}"

  - id: load
    type: io.kestra.plugin.core.log.Log
    message: "would load {{ outputs.transform_to_uppercase.value }} into my_project.my_dataset.my_table"
"""

ETL_SUITE = """\
id: etl_daily_products_bigquery_testsuite
namespace: company.team
flowId: etl_daily_products_bigquery
testCases:
  - id: extract_should_return_data
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: send_slack_message_started
          description: "don't send Slack message"
        - id: load
          description: "don't load data into BigQuery"
    assertions:
      - value: "{{outputs.transform_to_uppercase.value}}"
        isNotNull: true
  - id: extract_should_transform_product_names_to_uppercase_mocked
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: send_slack_message_started
          description: "don't send Slack message"
        - id: load
          description: "don't load data into BigQuery"
        - id: extract
          description: "don't fetch data from API"
        - id: transform_to_products_name
          outputs:
            value: |
              [
                "my-product-1"
              ]
    assertions:
      - value: "{{outputs.transform_to_uppercase.value}}"
        contains: "MY-PRODUCT-1"
"""

DOWNLOAD_FLOW = """\
id: etl_download_file
namespace: company.team

tasks:
  - id: extract
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:9/never-called.json
    method: GET

  - id: transform_to_products_name
    type: io.kestra.plugin.core.debug.Return
    format: "{{ fromJson(read(outputs.extract.uri)) | jq('.Account.Order[].Product[].\\"Product Name\\"') }}"

  - id: transform_to_uppercase
    type: io.kestra.plugin.core.debug.Return
    format: "{{ fromJson(outputs.transform_to_products_name.value) | upper }}"

  - id: load_result_to_outgoing_api
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.transform_to_uppercase.this_task_should_not_be_run }}"
"""

NAMESPACE_FILE_SUITE = """\
id: etl_mockfile_from_ns
namespace: company.team
flowId: etl_download_file
testCases:
  - id: extract_should_transform_productNames_to_uppercase_with_mocked_file
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: extract
          description: "mock extract data file"
          outputs:
            uri: "{{ fileURI('my-namespace-file-with-products.json') }}" # this file is a namespace file in the same namespace
        - id: load_result_to_outgoing_api
          description: "don't send end output"
    assertions:
      - value: "{{outputs.transform_to_uppercase.value}}"
        equalsTo: "[BOWLER HAT, TRILBY HAT]"
"""

INLINE_FILE_SUITE = """\
id: etl_mockfile_inline
namespace: company.team
flowId: etl_download_file
testCases:
  - id: extract_should_transform_product_names_to_uppercase_with_mocked_file
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      files:
        products.json: |
          ORDERS
      tasks:
        - id: extract
          description: "mock extract data file"
          outputs:
            uri: "{{files['products.json']}}"
        - id: load_result_to_outgoing_api
          description: "don't send end output"
    assertions:
      - value: "{{outputs.transform_to_uppercase.value}}"
        equalTo: "[BOWLER HAT, TRILBY HAT]"
"""

WEBHOOK_FLOW = """\
id: return-flow-webhook
namespace: io.kestra.tests

triggers:
  - id: webhook
    type: io.kestra.plugin.core.trigger.Webhook
    key: webhook

tasks:
  - id: return_summary
    type: io.kestra.plugin.core.output.OutputValues
    values:
      body: "{{ trigger.body }}"
"""

WEBHOOK_SUITE = """\
id: simple-webhook-test-suite-1-id
namespace: io.kestra.tests
description: assert flow is returning the input value as output
flowId: return-flow-webhook
testCases:
  - id: test_case_1
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      trigger:
        id: webhook
        type: io.kestra.plugin.core.trigger.Webhook
        variables:
          body: webhook
    assertions:
      - value: "{{ trigger.body }}"
        equalTo: "webhook"
"""

SHELL_FLOW = """\
id: shell_output
namespace: company.team

tasks:
  - id: generate_output_file
    type: io.kestra.plugin.scripts.shell.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    outputFiles:
      - out.txt
    script: |
      echo "Processing data..." > out.txt
      echo "Result: SUCCESS" >> out.txt

  - id: parse_output
    type: io.kestra.plugin.core.log.Log
    message: "Output file content: {{ read(outputs.generate_output_file.outputFiles['out.txt']) }}"
"""

SHELL_SUITE = """\
id: test_shell_output
flowId: shell_output
namespace: company.team
testCases:
  - id: mock_shell_output
    type: io.kestra.core.tests.flow.UnitTest
    description: Mock shell script output file to test downstream processing
    fixtures:
      files:
        mocked_output.txt: |
          Processing data...
          Result: SUCCESS
      tasks:
        - id: generate_output_file
          state: SUCCESS
          description: "don't run the shell script, mock its output"
          outputs:
            outputFiles:
              out.txt: "{{files['mocked_output.txt']}}"
    assertions:
      - value: "{{ outputs.generate_output_file.outputFiles['out.txt'] }}"
        isNotNull: true
"""

OUTPUTS_FLOW = """\
id: flow_outputs_demo
namespace: demo
tasks:
  - id: mytask
    type: io.kestra.plugin.core.output.OutputValues
    values:
      myvalue: kestra
outputs:
  - id: myvalue
    type: STRING
    value: "{{ outputs.mytask.values.myvalue }}"
"""

OUTPUTS_SUITE = """\
id: test_flow_outputs_demo
flowId: flow_outputs_demo
namespace: demo
testCases:
  - id: flow_output
    type: io.kestra.core.tests.flow.UnitTest
    assertions:
      - value: "{{ execution.outputs.myvalue }}"
        equalTo: kestra
"""


def test_the_documentation_examples_pass_unchanged(tmp_path: Path, orders_url: str) -> None:
    repo = write(tmp_path / "repo", {
        "company.team/flows/etl_daily_products_bigquery.yaml": ETL_FLOW.replace("ORDERS_URL", orders_url),
        "company.team/tests/etl_daily_products_bigquery_testsuite.yaml": ETL_SUITE,
        "company.team/flows/etl_download_file.yaml": DOWNLOAD_FLOW,
        "company.team/files/my-namespace-file-with-products.json": ORDERS,
        "company.team/tests/etl_mockfile_from_ns.yaml": NAMESPACE_FILE_SUITE,
        "company.team/tests/etl_mockfile_inline.yaml": INLINE_FILE_SUITE.replace(
            "ORDERS", ORDERS.replace("\n", "\n          ")),
        "company.team/flows/shell_output.yaml": SHELL_FLOW,
        "company.team/tests/test_shell_output.yaml": SHELL_SUITE,
        "io.kestra.tests/flows/return-flow-webhook.yaml": WEBHOOK_FLOW,
        "io.kestra.tests/tests/webhook.yaml": WEBHOOK_SUITE,
        "demo/flows/flow_outputs_demo.yaml": OUTPUTS_FLOW,
        "demo/tests/test_flow_outputs_demo.yaml": OUTPUTS_SUITE,
    })
    done = legato_test("-v", "--junit-xml", tmp_path / "junit.xml", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "collected 7 test cases in 6 suites (5 flows)" in done.stdout
    assert "7 passed" in done.stdout
    for case in ("extract_should_return_data", "extract_should_transform_product_names_to_uppercase_mocked",
                 "extract_should_transform_productNames_to_uppercase_with_mocked_file", "test_case_1",
                 "mock_shell_output", "flow_output"):
        assert f"::{case} PASSED" in done.stdout
    report = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert len(report.findall("testsuite")) == 6
    assert len(report.findall("testsuite/testcase")) == 7
    assert not report.findall(".//failure") and not report.findall(".//error")


FAILING_SUITE = """\
id: hello_tests
namespace: company.team
flowId: hello
testCases:
  - id: right
    assertions:
      - value: "{{ outputs.greet.value }}"
        equalTo: hello world
  - id: wrong
    assertions:
      - value: "{{ outputs.greet.value }}"
        equalTo: hello moon
        errorMessage: the greeting names the moon
  - id: switched_off
    disabled: true
    assertions:
      - value: 1
        equalTo: 2
"""

HELLO_FLOW = """\
id: hello
namespace: company.team
tasks:
  - id: greet
    type: io.kestra.plugin.core.debug.Return
    format: hello world
"""


def test_a_failed_assertion_fails_the_run_with_its_message(tmp_path: Path) -> None:
    repo = write(tmp_path / "flat", {"hello.yaml": HELLO_FLOW, "hello_tests.yaml": FAILING_SUITE})
    done = legato_test(".", "--junit-xml", "out/junit.xml", cwd=repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "hello_tests.yaml::hello_tests .Fs" in done.stdout
    assert "company.team.hello_tests::wrong" in done.stdout
    assert "E   the greeting names the moon: expected 'hello world' to equal 'hello moon'" in done.stdout
    assert "1 passed, 1 failed, 1 skipped" in done.stdout
    report = ElementTree.parse(repo / "out" / "junit.xml").getroot()
    failure = report.find(".//testcase[@name='wrong']/failure")
    assert failure is not None and "the greeting names the moon" in failure.get("message", "")
    assert report.find(".//testcase[@name='switched_off']/skipped") is not None


def test_a_broken_suite_is_reported_with_its_line_and_nothing_runs(tmp_path: Path) -> None:
    repo = write(tmp_path / "flat", {"hello.yaml": HELLO_FLOW,
                                     "bad.yaml": FAILING_SUITE.replace("equalTo: hello world", "equalz: hello world")})
    done = legato_test(cwd=repo)
    assert done.returncode == 2
    assert "bad.yaml:8:9: testCases[0].assertions[0].equalz" in done.stderr


def test_nothing_to_run_exits_5(tmp_path: Path) -> None:
    repo = write(tmp_path / "flat", {"hello.yaml": HELLO_FLOW})
    done = legato_test(cwd=repo)
    assert done.returncode == 5
    assert "collected 0 test cases" in done.stdout
