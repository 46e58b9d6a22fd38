"""appLink(): the link to an app's page; by default the app that started the execution, showing that execution."""

from __future__ import annotations

import pytest

from legato.expressions import ExpressionError, Renderer

STARTED = {"labels": {"system.app": "vacation", "system": {"app": "vacation"}}, "execution": {"id": "e1"}}


def test_the_app_that_started_the_execution() -> None:
    renderer = Renderer()
    assert renderer.render("{{ appLink() }}", STARTED) == "/ui/main/apps/vacation?execution=e1"
    assert renderer.render("{{ appLink(baseUrl='https://legato.example.com/') }}", STARTED) == \
        "https://legato.example.com/ui/main/apps/vacation?execution=e1"


def test_another_app_by_id() -> None:
    assert Renderer().render("{{ appLink('catalogue') }}", STARTED) == "/ui/main/apps/catalogue"
    assert Renderer().render("{{ appLink('catalogue') }}", {"labels": {}}) == "/ui/main/apps/catalogue"


def test_without_an_app() -> None:
    with pytest.raises(ExpressionError, match="not started by an app"):
        Renderer().render("{{ appLink() }}", {"labels": {}, "execution": {"id": "e1"}})
    with pytest.raises(ExpressionError, match="instance's address"):
        Renderer().render("{{ appLink('a', baseUrl='legato') }}", STARTED)
