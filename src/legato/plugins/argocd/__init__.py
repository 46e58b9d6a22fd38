"""Kestra's Argo CD plugin (io.kestra.plugin.argocd): `apps.Sync` and `apps.Status` drive the `argocd` command line
(`argocd app sync|get ... --output json`) and turn its JSON answer into outputs."""
