"""The `kestra` Ansible module, as Kestra's AnsibleCLI ships it: a playbook declares with it the values that
become the task's outputs (`outputs.<task>.vars.outputs.<key>`); with outputsMode EXPLICIT they are the only ones.

    - name: Declare outputs
      kestra:
        outputs:
          records_updated: "{{ records_updated }}"
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: kestra
short_description: Declare values that become the task's outputs
options:
  outputs:
    description: Output names and their values (JSON-serialisable).
    type: dict
    required: false
"""


def main() -> None:
    module = AnsibleModule(argument_spec={"outputs": {"type": "dict", "required": False}},
                           required_one_of=[["outputs"]], supports_check_mode=True)
    module.exit_json(changed=False, outputs=module.params["outputs"] or {})


if __name__ == "__main__":
    main()
