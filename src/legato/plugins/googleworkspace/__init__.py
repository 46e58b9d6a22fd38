"""Kestra's Google Workspace tasks: Google Sheets (`io.kestra.plugin.googleworkspace.sheets.*`: Read, ReadRange,
CreateSpreadsheet, DeleteSpreadsheet, Load), over the Sheets v4 and Drive v3 REST APIs with a token google-auth
signs (the `googleworkspace` extra). Registered through the `legato.plugins` entry point `googleworkspace`."""
