{{- /*
ClusterServingRuntimes: the Modelplane runtime (one per model format, V1 + V2 REST and V2 gRPC; one multi-model
server for TrainedModels) and the upstream model servers, each switchable. Runtime selection (KServe's rules): an
InferenceService's modelFormat matches a runtime's supportedModelFormats with autoSelect; among several, the higher
priority wins, and the protocol must be one the runtime lists. Modelplane's runtimes carry priority
runtimes.modelplane.priority (2), the upstream ones 1; the multi-model runtime does not auto-select (a parent
InferenceService names it in `model.runtime`). `{{.Name}}` in args is KServe's placeholder for the InferenceService
name, filled in by the controller in args and command only, so probes name no model: a single-model server answers
/v2/health/ready with 200 once its one model is loaded (503 while it loads or after it failed).

Call: {{ include "modelplane.clusterServingRuntimes" . }} with the root context: every switched-on runtime, each
preceded by `---`; templates/runtimes/clusterservingruntimes.yaml renders them as objects of the release
(runtimes.installWith: manifest), templates/runtimes/configmap.yaml into the ConfigMap the runtimes hook applies.
*/ -}}
{{- define "modelplane.clusterServingRuntimes" -}}
{{- if not .Release }}{{ fail "modelplane.clusterServingRuntimes: pass the root context (.), not a sub-value" }}{{ end -}}
{{- $formats := dict
  "sklearn" (list "1")
  "xgboost" (list "1" "2")
  "lightgbm" (list "3" "4")
  "onnx" (list "1")
  "pytorch" (list "1" "2")
  "custom" (list "1") }}
{{- $rt := .Values.runtimes }}
{{- if $rt.modelplane.enabled }}
{{- range $format := $rt.modelplane.formats }}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
{{ include "modelplane.runtimeMetadata" (list $ (printf "modelplane-%s" $format)) }}
spec:
  annotations:
    prometheus.kserve.io/port: "8080"
    prometheus.kserve.io/path: /metrics
  supportedModelFormats:
    {{- range $version := get $formats $format }}
    - name: {{ $format }}
      version: {{ $version | quote }}
      autoSelect: true
      priority: {{ $rt.modelplane.priority }}
    {{- end }}
  protocolVersions: ["v1", "v2", "grpc-v2"]
  {{- include "modelplane.runtimePlacement" $ | nindent 2 }}
  containers:
    - name: kserve-container
      image: {{ $rt.modelplane.image }}
      args:
        - --model_name={{ "{{.Name}}" }}
        - --model_dir=/mnt/models
        - --model_format={{ $format }}
        - --http_host=0.0.0.0
        - --http_port=8080
        - --grpc_port=8081
      {{- include "modelplane.runtimeServing" (dict "root" $ "path" "/v2/health/ready") | nindent 6 }}
      {{- include "modelplane.runtimeContainer" (dict "root" $ "resources" $rt.modelplane.resources) | nindent 6 }}
{{- end }}
{{- if $rt.modelplane.multiModel.enabled }}
{{- /*
The multi-model server: it starts with the parent InferenceService's own storage (one model at the top, or one
folder per model) and loads TrainedModels at run time through the V2 repository API, fetching each one's storage
URI, its format detected from its files. Its readiness probe is the same /v2/health/ready: it turns 200 once the
models it started with are loaded, and a TrainedModel loading or failing later does not change it, so one bad
model cannot take the others out of the Service; each TrainedModel reports its own state.
*/ -}}
{{- $mm := $rt.modelplane.multiModel }}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
{{ include "modelplane.runtimeMetadata" (list $ "modelplane-multimodel") }}
spec:
  multiModel: true
  annotations:
    prometheus.kserve.io/port: "8080"
    prometheus.kserve.io/path: /metrics
  supportedModelFormats:
    {{- range $format := $mm.formats }}
    {{- range $version := get $formats $format }}
    - name: {{ $format }}
      version: {{ $version | quote }}
      autoSelect: false
    {{- end }}
    {{- end }}
  protocolVersions: ["v1", "v2", "grpc-v2"]
  {{- include "modelplane.runtimePlacement" $ | nindent 2 }}
  containers:
    - name: kserve-container
      image: {{ $rt.modelplane.image }}
      args:
        - --model_name={{ "{{.Name}}" }}
        - --model_dir=/mnt/models
        - --http_host=0.0.0.0
        - --http_port=8080
        - --grpc_port=8081
      {{- include "modelplane.runtimeServing" (dict "root" $ "path" "/v2/health/ready") | nindent 6 }}
      {{- include "modelplane.runtimeContainer" (dict "root" $ "resources" $mm.resources) | nindent 6 }}
{{- end }}
{{- end }}
{{- if $rt.triton.enabled }}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
{{ include "modelplane.runtimeMetadata" (list $ "modelplane-triton") }}
spec:
  annotations:
    prometheus.kserve.io/port: "8002"
    prometheus.kserve.io/path: /metrics
  supportedModelFormats:
    - {name: tensorrt, version: "8", autoSelect: true, priority: 1}
    - {name: tensorflow, version: "1", autoSelect: true, priority: 1}
    - {name: tensorflow, version: "2", autoSelect: true, priority: 1}
    - {name: onnx, version: "1", autoSelect: true, priority: 1}
    - {name: pytorch, version: "1", autoSelect: false}
    - {name: triton, version: "2", autoSelect: true, priority: 1}
  protocolVersions: ["v2", "grpc-v2"]
  {{- include "modelplane.runtimePlacement" $ | nindent 2 }}
  containers:
    - name: kserve-container
      image: {{ $rt.triton.image }}
      args:
        - tritonserver
        - --model-store=/mnt/models
        - --grpc-port=9000
        - --http-port=8080
        - --allow-grpc=true
        - --allow-http=true
      {{- include "modelplane.runtimeContainer" (dict "root" $ "resources" $rt.triton.resources) | nindent 6 }}
{{- end }}
{{- if $rt.torchserve.enabled }}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
{{ include "modelplane.runtimeMetadata" (list $ "modelplane-torchserve") }}
spec:
  annotations:
    prometheus.kserve.io/port: "8082"
    prometheus.kserve.io/path: /metrics
  supportedModelFormats:
    - {name: pytorch, version: "1", autoSelect: true, priority: 1}
  protocolVersions: ["v1", "v2", "grpc-v2"]
  {{- include "modelplane.runtimePlacement" $ | nindent 2 }}
  containers:
    - name: kserve-container
      image: {{ $rt.torchserve.image }}
      args:
        - torchserve
        - --start
        - --model-store=/mnt/models/model-store
        - --ts-config=/mnt/models/config/config.properties
      env:
        - name: TS_SERVICE_ENVELOPE
          value: {{ "{{.Labels.serviceEnvelope}}" | quote }}
      {{- include "modelplane.runtimeContainer" (dict "root" $ "resources" $rt.torchserve.resources) | nindent 6 }}
{{- end }}
{{- if $rt.tfserving.enabled }}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
{{ include "modelplane.runtimeMetadata" (list $ "modelplane-tfserving") }}
spec:
  supportedModelFormats:
    - {name: tensorflow, version: "1", autoSelect: true, priority: 2}
    - {name: tensorflow, version: "2", autoSelect: true, priority: 2}
  protocolVersions: ["v1", "grpc-v1"]
  {{- include "modelplane.runtimePlacement" $ | nindent 2 }}
  containers:
    - name: kserve-container
      image: {{ $rt.tfserving.image }}
      command: ["/usr/bin/tensorflow_model_server"]
      args:
        - --model_name={{ "{{.Name}}" }}
        - --port=9000
        - --rest_api_port=8080
        - --model_base_path=/mnt/models
        - --rest_api_timeout_in_ms=60000
      {{- include "modelplane.runtimeContainer" (dict "root" $ "resources" $rt.tfserving.resources) | nindent 6 }}
{{- end }}
{{- if $rt.mlserver.enabled }}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
{{ include "modelplane.runtimeMetadata" (list $ "modelplane-mlserver") }}
spec:
  annotations:
    prometheus.kserve.io/port: "8080"
    prometheus.kserve.io/path: /metrics
  supportedModelFormats:
    - {name: sklearn, version: "1", autoSelect: true, priority: 1}
    - {name: xgboost, version: "2", autoSelect: true, priority: 1}
    - {name: lightgbm, version: "4", autoSelect: true, priority: 1}
    - {name: mlflow, version: "2", autoSelect: true, priority: 1}
  protocolVersions: ["v2"]
  {{- include "modelplane.runtimePlacement" $ | nindent 2 }}
  containers:
    - name: kserve-container
      image: {{ $rt.mlserver.image }}
      env:
        - name: MLSERVER_MODEL_NAME
          value: {{ "{{.Name}}" | quote }}
        - name: MLSERVER_MODEL_URI
          value: /mnt/models
        - name: MLSERVER_HTTP_PORT
          value: "8080"
        - name: MLSERVER_GRPC_PORT
          value: "9000"
        - name: MODELS_DIR
          value: /mnt/models
      {{- include "modelplane.runtimeContainer" (dict "root" $ "resources" $rt.mlserver.resources) | nindent 6 }}
{{- end }}
{{- end -}}
