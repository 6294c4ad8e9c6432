{{/*
modelplane.fullname: the name prefix of every object: the release name, plus "-modelplane" unless it holds it.
Call: {{ include "modelplane.fullname" . }} with the root context.
*/}}
{{- define "modelplane.fullname" -}}
{{- if not .Release }}{{ fail "modelplane.fullname: pass the root context (.), not a sub-value" }}{{ end -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "modelplane" .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
modelplane.name: a component object name, "<fullname>-<suffix>".
Call: {{ include "modelplane.name" (list . "webhook") }}
*/}}
{{- define "modelplane.name" -}}
{{- if ne (len .) 2 }}{{ fail "modelplane.name: call with (list $root \"suffix\")" }}{{ end -}}
{{- printf "%s-%s" (include "modelplane.fullname" (index . 0)) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
modelplane.selectorLabels: the labels that select the controller pods (never change them: selectors are immutable).
Call: {{ include "modelplane.selectorLabels" . }}
*/}}
{{- define "modelplane.selectorLabels" -}}
app.kubernetes.io/name: {{ default "modelplane" .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{/*
modelplane.labels: the labels every object of this chart carries.
Call: {{ include "modelplane.labels" . }}
*/}}
{{- define "modelplane.labels" -}}
{{- if not .Chart }}{{ fail "modelplane.labels: pass the root context (.), not a sub-value" }}{{ end -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ default "modelplane" .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: modelplane
{{- end -}}

{{/*
modelplane.image: the controller image reference.
Call: {{ include "modelplane.image" . }}
*/}}
{{- define "modelplane.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
modelplane.serviceAccountName: the controller's ServiceAccount.
Call: {{ include "modelplane.serviceAccountName" . }}
*/}}
{{- define "modelplane.serviceAccountName" -}}
{{- if .Values.controller.serviceAccount.create -}}
{{- default (include "modelplane.fullname" .) .Values.controller.serviceAccount.name -}}
{{- else -}}
{{- required "controller.serviceAccount.name is required when controller.serviceAccount.create is false" .Values.controller.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
modelplane.webhookServiceName / modelplane.webhookSecretName / modelplane.webhookConfigName: the webhook's objects.
Call: {{ include "modelplane.webhookServiceName" . }}
*/}}
{{- define "modelplane.webhookServiceName" -}}{{ include "modelplane.name" (list . "webhook") }}{{- end -}}
{{- define "modelplane.webhookSecretName" -}}{{ include "modelplane.name" (list . "webhook-cert") }}{{- end -}}
{{- define "modelplane.webhookConfigName" -}}{{ include "modelplane.name" (list . "validating-webhook") }}{{- end -}}

{{/*
modelplane.podSecurityContext / modelplane.containerSecurityContext: the restricted Pod Security level, used by
every pod of this chart.
Call: {{ include "modelplane.podSecurityContext" . | nindent 8 }}
*/}}
{{- define "modelplane.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- define "modelplane.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/*
modelplane.hookPod: the pod spec body shared by the hook Jobs and the test pod (image, security, resources);
with "configMap" (and "mountPath"), that ConfigMap is mounted read-only in the container.
Call: {{ include "modelplane.hookPod" (dict "root" $ "name" "certs" "serviceAccount" "x" "args" (list ...)) | nindent 6 }}
*/}}
{{- define "modelplane.hookPod" -}}
{{- $root := required "modelplane.hookPod: pass root" .root -}}
restartPolicy: Never
serviceAccountName: {{ required "modelplane.hookPod: pass serviceAccount" .serviceAccount }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- include "modelplane.podSecurityContext" $root | nindent 2 }}
{{- with $root.Values.controller.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.controller.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: {{ required "modelplane.hookPod: pass name" .name }}
    image: {{ include "modelplane.image" $root }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args:
      {{- toYaml (required "modelplane.hookPod: pass args" .args) | nindent 6 }}
    securityContext:
      {{- include "modelplane.containerSecurityContext" $root | nindent 6 }}
    resources:
      {{- toYaml $root.Values.hookResources | nindent 6 }}
    {{- with .configMap }}
    volumeMounts:
      - name: files
        mountPath: {{ required "modelplane.hookPod: pass mountPath with configMap" $.mountPath }}
        readOnly: true
    {{- end }}
{{- with .configMap }}
volumes:
  - name: files
    configMap:
      name: {{ . }}
{{- end }}
{{- end -}}

{{/*
modelplane.runtimePlacement: nodeSelector and tolerations shared by every ClusterServingRuntime's pods.
Call: {{ include "modelplane.runtimePlacement" $ | nindent 2 }}
*/}}
{{- define "modelplane.runtimePlacement" -}}
{{- with .Values.runtimes.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.runtimes.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
modelplane.runtimeContainer: the security context and resources of a ClusterServingRuntime container.
Call: {{ include "modelplane.runtimeContainer" (dict "root" $ "resources" $rt.triton.resources) | nindent 6 }}
*/}}
{{- define "modelplane.runtimeContainer" -}}
{{- $root := required "modelplane.runtimeContainer: pass root" .root -}}
securityContext:
  {{- toYaml $root.Values.runtimes.securityContext | nindent 2 }}
resources:
  {{- toYaml (required "modelplane.runtimeContainer: pass resources" .resources) | nindent 2 }}
{{- end -}}

{{/*
modelplane.runtimeServing: the HTTP port and readiness probe of a Modelplane runtime container (HTTP on 8080).
The port is declared so Knative and the Service agree on it; the probe's path must name no model, since the
controller fills `{{.Name}}` into args and command only.
Call: {{ include "modelplane.runtimeServing" (dict "root" $ "path" "/v2/health/ready") | nindent 6 }}
*/}}
{{- define "modelplane.runtimeServing" -}}
{{- $root := required "modelplane.runtimeServing: pass root" .root -}}
{{- $path := required "modelplane.runtimeServing: pass path" .path -}}
{{- if contains "{{" $path }}{{ fail "modelplane.runtimeServing: a probe path cannot hold a placeholder; the controller fills them into args and command only" }}{{ end -}}
{{- $probe := $root.Values.runtimes.modelplane.readinessProbe -}}
ports:
  - name: http1
    containerPort: 8080
    protocol: TCP
readinessProbe:
  httpGet:
    path: {{ $path }}
    port: 8080
  periodSeconds: {{ $probe.periodSeconds }}
  timeoutSeconds: {{ $probe.timeoutSeconds }}
  failureThreshold: {{ $probe.failureThreshold }}
{{- end -}}


{{/*
modelplane.runtimesConfigMapName: the ConfigMap the runtimes hook applies from (runtimes.installWith: hook).
modelplane.runtimesSelector: the labels every bundled ClusterServingRuntime of this release carries, as a
selector; the runtimes hook owns only the runtimes that carry them and that it applied itself.
Call: {{ include "modelplane.runtimesSelector" . }}
*/}}
{{- define "modelplane.runtimesConfigMapName" -}}{{ include "modelplane.name" (list . "runtimes") }}{{- end -}}
{{- define "modelplane.runtimesSelector" -}}
{{- if not .Release }}{{ fail "modelplane.runtimesSelector: pass the root context (.), not a sub-value" }}{{ end -}}
{{- printf "app.kubernetes.io/instance=%s,modelplane.io/bundled=true" .Release.Name -}}
{{- end -}}

{{/*
modelplane.runtimeMetadata: the metadata of a bundled ClusterServingRuntime. Under runtimes.installWith: hook it
also carries Helm's ownership annotations (the managed-by label is in modelplane.labels), so that switching the
release to `manifest` later lets Helm adopt the runtimes the hook applied instead of refusing them as foreign.
Call: {{ include "modelplane.runtimeMetadata" (list $ "modelplane-sklearn") }}
*/}}
{{- define "modelplane.runtimeMetadata" -}}
{{- if ne (len .) 2 }}{{ fail "modelplane.runtimeMetadata: call with (list $root \"name\")" }}{{ end -}}
{{- $root := index . 0 -}}
metadata:
  name: {{ index . 1 }}
  labels:
    {{- include "modelplane.labels" $root | nindent 4 }}
    modelplane.io/bundled: "true"
  {{- if eq $root.Values.runtimes.installWith "hook" }}
  annotations:
    meta.helm.sh/release-name: {{ $root.Release.Name }}
    meta.helm.sh/release-namespace: {{ $root.Release.Namespace }}
  {{- end }}
{{- end -}}

{{/*
modelplane.runtimeNames: every name a bundled ClusterServingRuntime of this chart can have, whether switched on or
not, as a JSON list: the runtimes hook may touch exactly these (it prunes ones switched off since).
Call: {{ include "modelplane.runtimeNames" . | fromJsonArray }}
*/}}
{{- define "modelplane.runtimeNames" -}}
{{- $names := list "modelplane-multimodel" "modelplane-triton" "modelplane-torchserve" "modelplane-tfserving" "modelplane-mlserver" -}}
{{- range $format := list "sklearn" "xgboost" "lightgbm" "onnx" "pytorch" "custom" -}}
{{- $names = append $names (printf "modelplane-%s" $format) -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}