"""The use cases: every change a user asks for (deploy flows, start and act on executions, toggle triggers,
backfill schedules, call webhooks) goes through a function here, for the API and the CLI alike. Each write
function takes the acting `Principal`: where the permission check of the identity issue will sit."""
