{{- define "strata.fullname" -}}{{ .Release.Name }}-strata{{- end -}}
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
