"""Ready-to-run example flows shipped with Legato (the UI's Blueprints gallery). Each `*.yaml` file here is a
flow of namespace `blueprints`, preceded by comment lines `# title: ...`, `# tags: a, b` and optionally
`# requires: network` (or `approval`) when it cannot end on its own without an outside service or a person.
The API reads them with legato.api.blueprints."""
