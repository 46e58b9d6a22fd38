"""Kestra's Google Workspace tasks: Google Sheets (`io.kestra.plugin.googleworkspace.sheets.*`: Read, ReadRange,
CreateSpreadsheet, DeleteSpreadsheet, Load) and Google Calendar (`calendar.*`: ListEvents, GetEvent, InsertEvent,
UpdateEvent, DeleteEvent), over the Sheets v4, Drive v3 and Calendar v3 REST APIs with a token google-auth signs
(the `googleworkspace` extra). Registered through the `legato.plugins` entry point `googleworkspace`."""
