// render: renders a Helm chart's templates as `helm template` does, for the tests (Helm is
// not packaged in Debian; Go's text/template and sprig, which Helm itself uses, are). It
// supports what the chart uses: .Values (values.yaml, then -f files merged over it), .Release
// (Name, Namespace, Service), .Chart, and Helm's include, tpl, toYaml, fromYaml, required and
// fail. Usage: render CHART_DIR RELEASE NAMESPACE [-f values.yaml]... [-json]
// -json prints the documents as one JSON array (each parsed as YAML, which checks them).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	sprig "github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

func readYAML(path string) map[string]interface{} {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		fail("%s: %v", path, err)
	}
	return out
}

// merge copies src over dst, recursing into maps (as helm -f does).
func merge(dst, src map[string]interface{}) {
	for k, v := range src {
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "render: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 4 {
		fail("usage: render CHART_DIR RELEASE NAMESPACE [-f values.yaml]... [-json]")
	}
	dir, release, namespace := os.Args[1], os.Args[2], os.Args[3]
	values := readYAML(filepath.Join(dir, "values.yaml"))
	asJSON := false
	for i := 4; i < len(os.Args); i++ {
		switch {
		case os.Args[i] == "-json":
			asJSON = true
		case os.Args[i] == "-f" && i+1 < len(os.Args):
			merge(values, readYAML(os.Args[i+1]))
			i++
		default:
			fail("unknown argument %s", os.Args[i])
		}
	}
	chart := readYAML(filepath.Join(dir, "Chart.yaml"))
	top := map[string]interface{}{
		"Values":  values,
		"Release": map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm"},
		"Chart": map[string]interface{}{"Name": chart["name"], "Version": chart["version"],
			"AppVersion": chart["appVersion"]},
	}

	t := template.New("chart").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var b bytes.Buffer
		err := t.ExecuteTemplate(&b, name, data)
		return b.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		inner, err := t.Clone()
		if err != nil {
			return "", err
		}
		if _, err := inner.New("tpl").Parse(text); err != nil {
			return "", err
		}
		var b bytes.Buffer
		err = inner.ExecuteTemplate(&b, "tpl", data)
		return b.String(), err
	}
	funcs["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		out := map[string]interface{}{}
		_ = yaml.Unmarshal([]byte(s), &out)
		return out
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", fmt.Errorf("%s", msg) }
	t.Funcs(funcs)

	files, _ := filepath.Glob(filepath.Join(dir, "templates", "*"))
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fail("%v", err)
		}
		if _, err := t.New(filepath.Base(f)).Parse(string(data)); err != nil {
			fail("%v", err)
		}
	}
	docs := []interface{}{}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "_") {
			continue
		}
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, name, top); err != nil {
			fail("%v", err)
		}
		out := strings.TrimSpace(b.String())
		if out == "" {
			continue
		}
		if !asJSON {
			fmt.Printf("---\n# Source: %s/templates/%s\n%s\n", chart["name"], name, out)
			continue
		}
		dec := yaml.NewDecoder(strings.NewReader(out))
		for {
			var doc map[string]interface{}
			if err := dec.Decode(&doc); err != nil {
				if err == io.EOF {
					break
				}
				fail("templates/%s renders invalid YAML: %v", name, err)
			}
			if doc != nil {
				docs = append(docs, doc)
			}
		}
	}
	if asJSON {
		data, err := json.Marshal(docs)
		if err != nil {
			fail("%v", err)
		}
		fmt.Println(string(data))
	}
}
