"""Template-injection payloads: each is refused with an ExpressionError, fast (resource-exhaustion payloads are in
tests/security/test_expression_limits.py)."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

import pytest

from legato.expressions import ExpressionError, Limits, Renderer


class Gadget:
    """A Python object that reached the context: none of its attributes may be reachable."""

    secret_attr = "should never print"

    def run(self) -> str:
        return "ran"


def sandbox_context() -> dict[str, Any]:
    return {
        "inputs": {"name": "x", "obj": Gadget(), "blob": "b" * 1000},
        "variable": Gadget(),
        "fn": os.system,
        "popen": subprocess.Popen,
        "loop_tpl": "{{ render(loop_tpl) }}",
        "self_ref": "{{ render(self_ref) }}",
        "bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9)),
    }


PAYLOADS: list[tuple[str, str]] = [
    # Jinja-style object-model walks
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "not allowed"),
    ("{{ ''.__class__ }}", "Access to '__class__' is not allowed"),
    ("{{ inputs.__class__ }}", "Access to '__class__' is not allowed"),
    ("{{ inputs.obj.__dict__ }}", "Access to '__dict__' is not allowed"),
    ("{{ [].__class__.__base__ }}", "not allowed"),
    ("{{ config }}", "Undefined variable 'config'"),
    ("{{ config.items() }}", "Method calls are not allowed"),
    ("{{ self }}", "Undefined variable 'self'"),
    ("{{ self.__init__.__globals__ }}", "not allowed"),
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "not allowed"),
    ("{{ joiner.__init__.__globals__ }}", "not allowed"),
    ("{{ namespace.__init__.__globals__ }}", "not allowed"),
    ("{{ lipsum.__globals__['os'].popen('id') }}", "not allowed"),
    ("{{ lipsum }}", "Undefined variable 'lipsum'"),
    ("{{ request.application.__globals__.__builtins__ }}", "not allowed"),
    ("{{ url_for.__globals__ }}", "not allowed"),
    ("{{ get_flashed_messages.__globals__ }}", "not allowed"),
    ("{{ inputs | attr('__class__') }}", "Unknown filter 'attr'"),
    ("{{ inputs | attr('\\x5f\\x5fclass\\x5f\\x5f') }}", "Unknown filter 'attr'"),
    ("{{ ''['\\x5f\\x5fclass\\x5f\\x5f'] }}", "Access to '__class__' is not allowed"),
    ("{{ ''['\\u005f\\u005fclass\\u005f\\u005f'] }}", "Access to '__class__' is not allowed"),
    ("{{ inputs['__cl' ~ 'ass__'] }}", "Access to '__class__' is not allowed"),
    ("{{ inputs[('_' ~ '_globals_' ~ '_')] }}", "Access to '__globals__' is not allowed"),
    ("{% set k = '__class__' %}{{ inputs[k] }}", "Access to '__class__' is not allowed"),
    ("{{ inputs.obj.secret_attr }}", "object values have no attributes"),
    ("{{ inputs.obj.run }}", "object values have no attributes"),
    ("{{ inputs.obj['run'] }}", "object values have no attributes"),
    ("{{ inputs.name.upper }}", "string values have no attributes"),
    ("{{ fn('id') }}", "Unknown function 'fn'"),
    ("{{ popen(['id']) }}", "Unknown function 'popen'"),
    ("{{ __import__('os').system('id') }}", "not allowed"),
    ("{{ eval('1+1') }}", "Unknown function 'eval'"),
    ("{{ exec('import os') }}", "Unknown function 'exec'"),
    ("{{ getattr(inputs, 'x') }}", "Unknown function 'getattr'"),
    ("{{ open('/etc/passwd') }}", "Unknown function 'open'"),
    ("{{ '{0.__class__}'.format(inputs) }}", "Method calls are not allowed"),
    ("{{ '%s' % inputs }}", "Operator '%' needs numbers"),
    ("{{ inputs | format('{0.__class__}') }}", "Unknown filter 'format'"),
    # Pebble / Java-style
    ("{{ variable.getClass().forName('java.lang.Runtime') }}", "Method calls are not allowed"),
    ("{{ variable.getClass() }}", "Method calls are not allowed"),
    ("{% set cmd = 'id' %}{{ variable.getClass().forName('java.lang.Runtime').getRuntime().exec(cmd) }}",
     "Method calls are not allowed"),
    ("{{ (1).TYPE.forName('java.lang.Runtime') }}", "Method calls are not allowed"),
    ("{{ beans.get('x') }}", "Method calls are not allowed"),
    # JavaScript-style
    ("{{ constructor.constructor('return process')() }}", "Method calls are not allowed"),
    ("{{ inputs.__proto__ }}", "Access to '__proto__' is not allowed"),
    ("{{ inputs['__proto__'].polluted }}", "Access to '__proto__' is not allowed"),
    ("{{ this.constructor }}", "Undefined variable 'this'"),
    # jq escapes
    ("{{ {} | jq('env') }}", "not allowed"),
    ("{{ {} | jq('$ENV') }}", "not allowed"),
    ("{{ {} | jq('input_filename') }}", "not allowed"),
    # resource bombs: tests/security/test_expression_limits.py
]


@pytest.mark.parametrize(("payload", "message"), PAYLOADS)
def test_payload_is_refused_quickly(payload: str, message: str) -> None:
    renderer = Renderer()
    start = time.monotonic()
    with pytest.raises(ExpressionError) as info:
        renderer.render(payload, sandbox_context())
    elapsed = time.monotonic() - start
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
    assert message in str(info.value)
    assert "should never print" not in str(info.value)


def test_very_long_template_is_refused() -> None:
    with pytest.raises(ExpressionError, match="exceeds the template size limit of 1,000"):
        Renderer(limits=Limits(max_template_chars=1000)).render("{{ 1 }}" + "x" * 2000, {})


def test_limits_are_configurable() -> None:
    renderer = Renderer(limits=Limits(max_range_items=10, max_output_chars=50, max_render_seconds=0.05))
    assert renderer.render("{{ (0..9) | length }}", {}) == "10"
    with pytest.raises(ExpressionError, match="more than the item limit of 10"):
        renderer.render("{{ 0..10 }}", {})
    with pytest.raises(ExpressionError, match="exceeds the output limit of 50"):
        renderer.render("{% for i in 0..9 %}0123456789{% endfor %}", {})
    start = time.monotonic()
    with pytest.raises(ExpressionError, match=r"longer than the time limit of 0\.05 s"):
        renderer.render("{% for i in 0..9 %}{% for j in 0..9 %}{% for k in 0..9 %}{% for m in 0..9 %}"
                        "{% for n in 0..9 %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}", {})
    assert time.monotonic() - start < 1.0


def test_objects_in_the_context_print_but_expose_nothing() -> None:
    renderer = Renderer()
    with pytest.raises(ExpressionError):
        renderer.render("{{ variable.secret_attr }}", sandbox_context())
    assert renderer.render("{{ inputs.obj is defined }}", sandbox_context()) == "true"


def test_dunder_keys_in_data_are_refused_but_single_underscore_keys_are_data() -> None:
    renderer = Renderer()
    ctx = {"hit": {"_source": {"id": 7}, "_id": "a1"}}
    assert renderer.render("{{ hit._source.id }}-{{ hit._id }}", ctx) == "7-a1"
    with pytest.raises(ExpressionError, match="not allowed"):
        renderer.render("{{ hit.__len__ }}", ctx)
