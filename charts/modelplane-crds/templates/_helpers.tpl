{{/*
modelplane-crds.labels: the labels every object of this chart carries.
Call: {{ include "modelplane-crds.labels" . }} with the root context.
*/}}
{{- define "modelplane-crds.labels" -}}
{{- if not .Chart }}{{ fail "modelplane-crds.labels: pass the root context (.), not a sub-value" }}{{ end -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: modelplane-crds
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: modelplane
{{- end -}}

{{/*
modelplane-crds.files: the CRD files this chart ships, as a list of paths; fails when there are none, because a
CRD chart without CRDs is a broken build (run `make generate`).
Call: {{ include "modelplane-crds.files" . | fromYamlArray }}
*/}}
{{- define "modelplane-crds.files" -}}
{{- $paths := list -}}
{{- range $path, $_ := .Files.Glob "files/crds/*.serving.kserve.io.yaml" -}}
{{- $paths = append $paths $path -}}
{{- end -}}
{{- if not $paths -}}
{{- fail "modelplane-crds: files/crds/ holds no *.serving.kserve.io.yaml: run `make generate` to produce the CRDs" -}}
{{- end -}}
{{- toYaml (sortAlpha $paths) -}}
{{- end -}}

{{/*
modelplane-crds.hookImage: the image reference of the upgrade hook Jobs.
Call: {{ include "modelplane-crds.hookImage" . }}
*/}}
{{- define "modelplane-crds.hookImage" -}}
{{- $image := .Values.upgradeHook.image -}}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) -}}
{{- end -}}

{{/*
modelplane-crds.hookName: the name of the upgrade hook objects.
Call: {{ include "modelplane-crds.hookName" . }}
*/}}
{{- define "modelplane-crds.hookName" -}}
{{- printf "%s-crd-upgrade" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
