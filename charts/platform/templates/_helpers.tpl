{{/*
platform.labels: the labels every object of this chart carries.
Call: {{ include "platform.labels" . }} with the root context.
*/}}
{{- define "platform.labels" -}}
{{- if not .Chart }}{{ fail "platform.labels: pass the root context (.), not a sub-value" }}{{ end -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: platform
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: modelplane
{{- end -}}

{{/*
platform.knativeServing: the KnativeServing resource (net-istio layer, domain, autoscaler and defaults config).
Call: {{ include "platform.knativeServing" . }}
*/}}
{{- define "platform.knativeServing" -}}
{{- $k := .Values.knative -}}
{{- $a := $k.autoscaler -}}
apiVersion: operator.knative.dev/v1beta1
kind: KnativeServing
metadata:
  name: knative-serving
  namespace: {{ $k.namespace }}
  labels:
    {{- include "platform.labels" . | nindent 4 }}
spec:
  high-availability:
    replicas: {{ $k.highAvailabilityReplicas }}
  ingress:
    istio:
      enabled: true
      knative-ingress-gateway:
        selector:
          istio: ingressgateway
  config:
    network:
      ingress-class: istio.ingress.networking.knative.dev
    istio:
      local-gateway.knative-serving.knative-local-gateway: {{ printf "knative-local-gateway.%s.svc.cluster.local" .Release.Namespace | quote }}
      gateway.knative-serving.knative-ingress-gateway: {{ printf "%s.%s.svc.cluster.local" (index .Values "istio-gateway" "name") .Release.Namespace | quote }}
    domain:
      {{ $k.domain | quote }}: ""
    autoscaler:
      container-concurrency-target-percentage: {{ $a.containerConcurrencyTargetPercentage | quote }}
      stable-window: {{ $a.stableWindow | quote }}
      panic-window-percentage: {{ $a.panicWindowPercentage | quote }}
      scale-to-zero-grace-period: {{ $a.scaleToZeroGracePeriod | quote }}
      enable-scale-to-zero: {{ $a.enableScaleToZero | quote }}
      target-burst-capacity: {{ $a.targetBurstCapacity | quote }}
      max-scale-up-rate: {{ $a.maxScaleUpRate | quote }}
      max-scale-down-rate: {{ $a.maxScaleDownRate | quote }}
    defaults:
      container-concurrency: {{ $k.defaults.containerConcurrency | quote }}
      revision-timeout-seconds: {{ $k.defaults.revisionTimeoutSeconds | quote }}
{{- end -}}
