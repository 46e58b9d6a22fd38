"""Data is never parsed as a template: `{{ 7*7 }}` arriving as an input or a KV value comes back as text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FLOW = """
id: literal
namespace: tests.safety
inputs:
  - id: text
    type: STRING
tasks:
  - id: store
    type: io.kestra.plugin.core.kv.Set
    key: payload
    value: "{{ inputs.text }}"
  - id: echo_input
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.text }}"
  - id: echo_kv
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('payload') }}"
  - id: rendered_on_purpose
    type: io.kestra.plugin.core.debug.Return
    format: "{{ render(inputs.text) }}"
"""


def test_templates_in_data_are_not_rendered(tmp_path: Path) -> None:
    path = tmp_path / "literal.yaml"
    path.write_text(FLOW)
    legato = Path(sys.executable).with_name("legato")
    out = subprocess.run([str(legato), "flow", "run", str(path), "--input", "text={{ 7*7 }}", "--output", "json"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    runs = {r["taskId"]: r for r in json.loads(out.stdout)["taskRunList"]}
    assert runs["echo_input"]["outputs"]["value"] == "{{ 7*7 }}"
    assert runs["echo_kv"]["outputs"]["value"] == "{{ 7*7 }}"
    assert runs["rendered_on_purpose"]["outputs"]["value"] == "49"
