{{- define "strata.fullname" -}}{{ .Release.Name }}-strata{{- end -}}
{{- define "strata.image" -}}{{ .Values.image.repository }}:{{ .Values.image.tag }}{{- end -}}
{{- define "strata.objstoreSecret" -}}
{{- if .Values.existingObjstoreSecret }}{{ .Values.existingObjstoreSecret }}{{ else }}{{ include "strata.fullname" . }}-objstore{{ end -}}
{{- end -}}
{{- define "strata.probes" -}}
livenessProbe:
  httpGet: {path: /-/healthy, port: http}
readinessProbe:
  httpGet: {path: /-/ready, port: http}
{{- end -}}
