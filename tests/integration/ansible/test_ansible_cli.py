"""io.kestra.plugin.ansible.cli.AnsibleCLI running real ansible-playbook (ansible-core, the ansible extra) under
the process runner: a local connection, then over SSH to a real sshd on 127.0.0.1; Kestra's outputs (per-host
results, the plays/tasks/hosts structure, the `kestra` module's declared outputs), several commands adding up,
the log file, and a failing play failing the task."""

from __future__ import annotations

import pytest
from tests.integration.fs.conftest import Tasks
from tests.sshd import SshServer

from legato.plugins.context import TaskFailed

# this machine's PATH holds pyenv shims of Pythons that are not installed, which Ansible's interpreter discovery
# would pick: local hosts run modules with ansible-playbook's own Python instead
LOCAL = "localhost ansible_connection=local ansible_python_interpreter='{% raw %}{{ ansible_playbook_python }}{% endraw %}'"
PLAYBOOK = """\
      {% raw %}
      - hosts: all
        gather_facts: false
        tasks:
          - name: Write a greeting
            shell: echo "Hello from {{ inventory_hostname }}" > greeting.txt && cat greeting.txt
            register: greeting
          - name: Show it
            debug:
              msg: "{{ greeting.stdout }}"
      {% endraw %}
"""


def test_a_local_playbook_gives_kestras_outputs(tasks: Tasks) -> None:
    outputs = tasks.run(f"""\
id: ansible
type: io.kestra.plugin.ansible.cli.AnsibleCLI
outputFiles: [greeting.txt]
outputLogFile: true
inputFiles:
  inventory.ini: |
    {LOCAL}
  playbook.yml: |
{PLAYBOOK}
commands:
  - ansible-playbook -i inventory.ini playbook.yml
  - ansible-playbook -i inventory.ini playbook.yml --tags never-matches
""")
    assert outputs["exitCode"] == 0
    results = outputs["vars"]["outputs"]
    assert [r.get("stdout") for r in results if "stdout" in r] == ["Hello from localhost"]
    assert results[-1]["msg"] == "Hello from localhost"
    plays = outputs["vars"]["playbooks"]
    assert len(plays) == 2  # one per ansible-playbook command; the second ran no task
    tasks_run = plays[0]["plays"][0]["tasks"]
    assert [t["name"] for t in tasks_run] == ["Write a greeting", "Show it"]
    assert tasks_run[0]["uid"] == "all | Write a greeting"
    assert tasks_run[0]["hosts"][0]["host"] == "localhost" and tasks_run[0]["hosts"][0]["status"] == "ok"
    assert tasks_run[0]["startedAt"].endswith("Z") and tasks_run[0]["endedAt"]
    assert outputs["playbooks"] == plays
    assert tasks.storage.get(outputs["outputFiles"]["greeting.txt"]) == b"Hello from localhost\n"
    assert b"Write a greeting" in tasks.storage.get(outputs["outputFiles"]["log"])
    messages = tasks.messages()
    assert "TASK [Show it]" in messages and 'ok: [localhost] => "Hello from localhost"' in messages


def test_explicit_mode_keeps_only_what_the_playbook_declares(tasks: Tasks) -> None:
    outputs = tasks.run(f"""\
id: ansible
type: io.kestra.plugin.ansible.cli.AnsibleCLI
outputsMode: EXPLICIT
inputFiles:
  inventory.ini: |
    {LOCAL}
  playbook.yml: |
    {{% raw %}}
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Fetch a secret
          set_fact:
            password: not-for-outputs
            records: 3
        - name: Declare
          kestra:
            outputs:
              records_updated: "{{{{ records }}}}"
    {{% endraw %}}
commands:
  - ansible-playbook -i inventory.ini playbook.yml
""")
    assert outputs["vars"]["outputs"] == {"records_updated": 3}
    assert "not-for-outputs" not in str(outputs)
    host = outputs["vars"]["playbooks"][0]["plays"][0]["tasks"][0]["hosts"][0]
    assert host["result"] == {"changed": False}


def test_a_playbook_over_ssh_to_a_real_server(tasks: Tasks, sshd: SshServer) -> None:
    """Unisolated: the sandbox has its own loopback (the test's sshd is out of its reach) and runs as a uid with no
    user entry, which ssh refuses."""
    key = sshd.authorize("ansible_key")
    outputs = tasks.run(f"""\
id: ansible
type: io.kestra.plugin.ansible.cli.AnsibleCLI
inputFiles:
  inventory.ini: |
    [web]
    target ansible_host=127.0.0.1 ansible_port={sshd.port} ansible_user={sshd.user} ansible_ssh_private_key_file={key} ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'
  playbook.yml: |
    {{% raw %}}
    - hosts: web
      gather_facts: false
      tasks:
        - name: Where am I
          command: hostname
          register: where
        - kestra:
            outputs:
              remote_host: "{{{{ where.stdout }}}}"
    {{% endraw %}}
commands:
  - ansible-playbook -i inventory.ini playbook.yml
""", unisolated=True)
    results = outputs["vars"]["outputs"]
    assert results[0]["stdout"] and results[0]["changed"] is True
    assert results[1]["outputs"]["remote_host"] == results[0]["stdout"]
    assert outputs["vars"]["playbooks"][0]["plays"][0]["tasks"][0]["hosts"][0]["host"] == "target"


def test_a_failing_task_fails_the_task_run(tasks: Tasks) -> None:
    with pytest.raises(TaskFailed, match="exit code 2"):
        tasks.run(f"""\
id: ansible
type: io.kestra.plugin.ansible.cli.AnsibleCLI
inputFiles:
  inventory.ini: |
    {LOCAL}
  playbook.yml: |
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Break
          command: /bin/false
commands:
  - ansible-playbook -i inventory.ini playbook.yml
""")
    assert "failed: [localhost] => non-zero return code" in tasks.messages()
