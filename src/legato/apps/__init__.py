"""Apps (Kestra's `io.kestra.plugin.ee.apps.Execution`): a form over a flow for people who never see YAML, with
blocks shown by the stage of the execution it started."""

from legato.apps.model import App, Stage
from legato.apps.parse import parse_app
from legato.apps.stage import shown_stage, stage_of

__all__ = ["App", "Stage", "parse_app", "shown_stage", "stage_of"]
