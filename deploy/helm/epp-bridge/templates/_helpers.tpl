{{- define "epp-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "epp-bridge.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "epp-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "epp-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "epp-bridge.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "epp-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "epp-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "epp-bridge.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The directory of the completion socket. */}}
{{- define "epp-bridge.socketDir" -}}
{{- dir .Values.bridge.completionSocket -}}
{{- end -}}

{{/* Non-root, no capabilities, read-only root filesystem. */}}
{{- define "epp-bridge.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 101
runAsGroup: 1001
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The bridge container (a native sidecar when bridge.nativeSidecar). */}}
{{- define "epp-bridge.bridgeContainer" -}}
- name: epp-bridge
  image: "{{ .Values.bridge.image.repository }}:{{ .Values.bridge.image.tag | default .Chart.AppVersion }}"
  imagePullPolicy: {{ .Values.bridge.image.pullPolicy }}
  {{- if .Values.bridge.nativeSidecar }}
  restartPolicy: Always
  {{- end }}
  args:
    - serve
    - --listen
    - {{ .Values.bridge.listen | quote }}
    - --admin-listen
    - "0.0.0.0:{{ .Values.bridge.adminPort }}"
    {{- if .Values.bridge.completionSocket }}
    - --completion-socket
    - {{ .Values.bridge.completionSocket | quote }}
    {{- end }}
    {{- range .Values.bridge.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  env:
    # One worker loop per CPU the container requests, rounded up (the
    # downward API rounds up to the divisor); --threads in extraArgs, or this
    # variable in bridge.env, overrides it.
    - name: EPP_BRIDGE_THREADS
      valueFrom:
        resourceFieldRef:
          containerName: epp-bridge
          resource: requests.cpu
          divisor: "1"
    {{- with .Values.bridge.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - name: admin
      containerPort: {{ .Values.bridge.adminPort }}
      protocol: TCP
  livenessProbe:
    httpGet:
      path: /healthz
      port: admin
    periodSeconds: 10
    timeoutSeconds: 2
    failureThreshold: 3
  readinessProbe:
    httpGet:
      path: /readyz
      port: admin
    periodSeconds: 5
    timeoutSeconds: 2
    failureThreshold: 3
  resources:
    {{- toYaml .Values.bridge.resources | nindent 4 }}
  securityContext:
    {{- include "epp-bridge.containerSecurityContext" . | nindent 4 }}
  {{- if .Values.bridge.completionSocket }}
  volumeMounts:
    - name: epp-bridge-run
      mountPath: {{ include "epp-bridge.socketDir" . }}
  {{- end }}
{{- end -}}
