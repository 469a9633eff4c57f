{{- /* Named as the Bitnami Thanos chart names its resources, so that `helm install thanos`
  gives thanos-query, thanos-storegateway, ... and existing URLs keep resolving. */ -}}
{{- define "strata.name" -}}{{ default "thanos" .Values.nameOverride | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "strata.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "strata.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "strata.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- define "strata.image" -}}{{ .Values.image.repository }}:{{ .Values.image.tag }}{{- end -}}
{{- define "strata.objstoreSecret" -}}
{{- if .Values.existingObjstoreSecret }}{{ .Values.existingObjstoreSecret }}{{ else }}{{ include "strata.fullname" . }}-objstore{{ end -}}
{{- end -}}
{{- define "strata.probes" -}}
{{- if .Values.tls.http.enabled }}
livenessProbe:
  tcpSocket: {port: http}
readinessProbe:
  tcpSocket: {port: http}
{{- else }}
livenessProbe:
  httpGet: {path: /-/healthy, port: http}
readinessProbe:
  httpGet: {path: /-/ready, port: http}
{{- end }}
{{- end -}}
{{- define "strata.tlsMounts" -}}
{{- if .Values.tls.grpc.enabled }}
- {name: grpc-tls, mountPath: /etc/strata/grpc-tls, readOnly: true}
{{- end }}
{{- if .Values.tls.http.enabled }}
- {name: web-config, mountPath: /etc/strata/web, readOnly: true}
{{- end }}
{{- end -}}
{{- define "strata.tlsVolumes" -}}
{{- if .Values.tls.grpc.enabled }}
- name: grpc-tls
  secret: {secretName: {{ .Values.tls.grpc.secretName }}}
{{- end }}
{{- if .Values.tls.http.enabled }}
- name: web-config
  secret: {secretName: {{ .Values.tls.http.secretName }}}
{{- end }}
{{- end -}}
