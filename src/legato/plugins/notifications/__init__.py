"""Kestra's notification plugins (io.kestra.plugin.notifications, io.kestra.plugin.slack): chat webhooks, the Slack
Web API, Telegram, LINE, incident services, SMS and email, each with its `*Execution` task sending Kestra's execution
summary; and Jira and Zendesk tickets. Registered through the
`legato.plugins` entry point; every HTTP call goes through the SSRF guard."""
