{{/* Names, labels and the StorageClass every class of the release is made from. */}}

{{- define "nfs-provisioner.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's objects are named after the release, as nfs-subdir's chart does: the release
name when it already holds the chart's name (`helm install nfs-provisioner ...` gives
nfs-provisioner, the names deploy/ uses), else <release>-<chart>.
*/}}
{{- define "nfs-provisioner.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "nfs-provisioner.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nfs-provisioner.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "nfs-provisioner.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "nfs-provisioner.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "nfs-provisioner.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "nfs-provisioner.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "nfs-provisioner.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion (toString .Values.image.tag)) }}
{{- end }}

{{/*
One StorageClass. Called with (dict "root" $ "name" ... "defaultClass" ... "annotations" ...
"reclaimPolicy" ... "volumeBindingMode" ... "allowVolumeExpansion" ... "mountOptions" ...
"parameters" ...). Parameter values are strings in the API, so every one is quoted.
*/}}
{{- define "nfs-provisioner.storageClass" -}}
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: {{ .name }}
  labels:
    {{- include "nfs-provisioner.labels" .root | nindent 4 }}
  {{- if or .defaultClass .annotations }}
  annotations:
    {{- if .defaultClass }}
    storageclass.kubernetes.io/is-default-class: "true"
    {{- end }}
    {{- with .annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
provisioner: {{ .root.Values.storageClass.provisionerName }}
allowVolumeExpansion: {{ .allowVolumeExpansion }}
reclaimPolicy: {{ .reclaimPolicy }}
volumeBindingMode: {{ .volumeBindingMode }}
parameters:
  {{- range $key, $value := .parameters }}
  {{ $key }}: {{ toString $value | quote }}
  {{- end }}
{{- with .mountOptions }}
mountOptions:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The class parameters the main class sets, which extra classes inherit. */}}
{{- define "nfs-provisioner.classParameters" -}}
archiveOnDelete: {{ toString .Values.storageClass.archiveOnDelete | quote }}
{{- with .Values.storageClass.onDelete }}
onDelete: {{ toString . | quote }}
{{- end }}
{{- with .Values.storageClass.pathPattern }}
pathPattern: {{ toString . | quote }}
{{- end }}
{{- with .Values.storageClass.mountPermissions }}
mountPermissions: {{ toString . | quote }}
{{- end }}
{{- end }}
