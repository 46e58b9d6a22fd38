"""A stdout callback that prints nothing: Legato's kestra_logger callback does the logging. (Kestra's default
ansible.cfg names ansible.builtin.null, which ansible-core alone does not have: it lives in community.general.)"""

from __future__ import annotations

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: legato_null
    type: stdout
    short_description: print nothing on stdout
    description:
        - The stdout callback of AnsibleCLI's default configuration; the kestra_logger callback logs instead.
"""


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "legato_null"
