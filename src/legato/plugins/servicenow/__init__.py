"""ServiceNow (Kestra's `io.kestra.plugin.servicenow.*`) over the Table API with httpx: `Get`, `Post`, `Update`,
`Delete` on the rows of any table. Registered through the `legato.plugins` entry point `servicenow`; needs no extra
package."""

from legato.plugins.servicenow import table

__all__ = ["table"]
