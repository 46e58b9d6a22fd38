{{- define "legato.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "legato.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "legato.labels" -}}
app.kubernetes.io/name: {{ include "legato.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "legato.selector" -}}
app.kubernetes.io/name: {{ include "legato.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "legato.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "legato.fullname" .)) -}}
{{- end -}}

{{- define "legato.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "legato.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "legato.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* The database URL: external, from an existing Secret, or the bundled PostgreSQL's. */}}
{{- define "legato.databaseEnv" -}}
{{- if and .Values.secrets.existingSecret .Values.database.existingSecretKey }}
- name: LEGATO_DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.secrets.existingSecret }}, key: {{ .Values.database.existingSecretKey }}}}
{{- else }}
- name: LEGATO_DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ include "legato.secretName" . }}, key: database-url}}
{{- end }}
{{- end -}}

{{- define "legato.databaseUrl" -}}
{{- if .Values.database.url -}}
{{- .Values.database.url -}}
{{- else if .Values.postgresql.enabled -}}
{{- printf "postgresql://%s:%s@%s-postgresql:5432/%s" .Values.postgresql.user .Values.postgresql.password (include "legato.fullname" .) .Values.postgresql.database -}}
{{- else -}}
{{- fail "set database.url (or secrets.existingSecret with database.existingSecretKey), or postgresql.enabled=true" -}}
{{- end -}}
{{- end -}}

{{/* secrets.encryptionKey, else the key this release's Secret already holds (kept across upgrades: it seals the
stored secrets), else 32 new random bytes. */}}
{{- define "legato.encryptionKey" -}}
{{- if .Values.secrets.encryptionKey -}}
{{- .Values.secrets.encryptionKey -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "legato.secretName" .) -}}
{{- if and $existing (index ($existing.data | default dict) "encryption-key") -}}
{{- index $existing.data "encryption-key" | b64dec -}}
{{- else -}}
{{- randBytes 32 -}}
{{- end -}}
{{- end -}}
{{- end -}}
