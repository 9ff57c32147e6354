// kvalidate checks Kubernetes manifests against the API's Go types, decoding
// strictly as the API server does with fieldValidation=Strict: an unknown or
// duplicated field, or a value of the wrong type, is an error. It also checks
// what the API server would reject or what would break the Pod: container
// names, volume mounts, named probe ports, selector labels; with -hardened,
// the security settings every container must have.
//
//	kvalidate [-hardened] [-require KIND=N ...] FILE...   ("-": stdin)
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	infv1 "sigs.k8s.io/gateway-api-inference-extension/api/v1"
)

type requireFlag map[string]int

func (r requireFlag) String() string { return fmt.Sprint(map[string]int(r)) }
func (r requireFlag) Set(s string) error {
	var kind string
	var n int
	if _, err := fmt.Sscanf(strings.Replace(s, "=", " ", 1), "%s %d", &kind, &n); err != nil {
		return fmt.Errorf("want KIND=N, got %q", s)
	}
	r[kind] = n
	return nil
}

var docSplit = regexp.MustCompile(`(?m)^---\s*$`)

func main() {
	hardened := flag.Bool("hardened", false, "require the hardened security settings on every container")
	require := requireFlag{}
	flag.Var(require, "require", "KIND=N: exactly N objects of KIND (repeatable)")
	flag.Parse()
	var errs []string
	counts := map[string]int{}
	for _, path := range flag.Args() {
		var data []byte
		var err error
		if path == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		for i, doc := range docSplit.Split(string(data), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			where := fmt.Sprintf("%s: document %d", path, i+1)
			kind, e := check([]byte(doc), *hardened)
			counts[kind]++
			for _, m := range e {
				errs = append(errs, where+" ("+kind+"): "+m)
			}
		}
	}
	for kind, n := range require {
		if counts[kind] != n {
			errs = append(errs, fmt.Sprintf("want %d %s, got %d", n, kind, counts[kind]))
		}
	}
	for _, e := range errs {
		fmt.Fprintln(os.Stderr, e)
	}
	if len(errs) > 0 {
		os.Exit(1)
	}
	fmt.Printf("kvalidate: %v valid\n", counts)
}

func stripComments(doc string) string {
	var b bytes.Buffer
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func strict(doc []byte, into interface{}) []string {
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		return []string{err.Error()}
	}
	return nil
}

func check(doc []byte, hardened bool) (string, []string) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return "?", []string{err.Error()}
	}
	kind := head.APIVersion + "/" + head.Kind
	switch kind {
	case "v1/ConfigMap":
		var o corev1.ConfigMap
		return head.Kind, append(strict(doc, &o), name(o.Name)...)
	case "v1/ServiceAccount":
		var o corev1.ServiceAccount
		return head.Kind, append(strict(doc, &o), name(o.Name)...)
	case "v1/Service":
		var o corev1.Service
		e := append(strict(doc, &o), label(o.Name)...)
		for _, p := range o.Spec.Ports {
			if p.Port < 1 || p.Port > 65535 {
				e = append(e, fmt.Sprintf("spec.ports: port %d out of range", p.Port))
			}
		}
		return head.Kind, e
	case "apps/v1/Deployment":
		var o appsv1.Deployment
		e := append(strict(doc, &o), name(o.Name)...)
		return head.Kind, append(e, podChecks(o.Spec.Selector.MatchLabels, o.Spec.Template, hardened)...)
	case "apps/v1/DaemonSet":
		var o appsv1.DaemonSet
		e := append(strict(doc, &o), name(o.Name)...)
		return head.Kind, append(e, podChecks(o.Spec.Selector.MatchLabels, o.Spec.Template, hardened)...)
	case "gateway.networking.k8s.io/v1/Gateway":
		var o gwv1.Gateway
		return head.Kind, strict(doc, &o)
	case "gateway.networking.k8s.io/v1/HTTPRoute":
		var o gwv1.HTTPRoute
		return head.Kind, strict(doc, &o)
	case "inference.networking.k8s.io/v1/InferencePool":
		var o infv1.InferencePool
		return head.Kind, strict(doc, &o)
	}
	return head.Kind, []string{"unexpected kind " + kind}
}

func name(n string) []string {
	if msgs := validation.IsDNS1123Subdomain(n); len(msgs) > 0 {
		return []string{"metadata.name: " + strings.Join(msgs, "; ")}
	}
	return nil
}

func label(n string) []string {
	if msgs := validation.IsDNS1035Label(n); len(msgs) > 0 {
		return []string{"metadata.name: " + strings.Join(msgs, "; ")}
	}
	return nil
}

func podChecks(selector map[string]string, t corev1.PodTemplateSpec, hardened bool) []string {
	var e []string
	for k, v := range selector {
		if t.Labels[k] != v {
			e = append(e, fmt.Sprintf("spec.selector: label %s=%s not on the pod template", k, v))
		}
	}
	volumes := map[string]bool{}
	for _, v := range t.Spec.Volumes {
		if volumes[v.Name] {
			e = append(e, "volume "+v.Name+" declared twice")
		}
		volumes[v.Name] = true
	}
	used := map[string]bool{}
	names := map[string]bool{}
	all := append(append([]corev1.Container{}, t.Spec.InitContainers...), t.Spec.Containers...)
	if len(t.Spec.Containers) == 0 {
		e = append(e, "spec.template.spec.containers: empty")
	}
	for _, c := range all {
		if names[c.Name] {
			e = append(e, "container name "+c.Name+" used twice")
		}
		names[c.Name] = true
		ports := map[string]bool{}
		for _, p := range c.Ports {
			if p.Name != "" {
				ports[p.Name] = true
				if msgs := validation.IsValidPortName(p.Name); len(msgs) > 0 {
					e = append(e, c.Name+": port name "+p.Name+": "+strings.Join(msgs, "; "))
				}
			}
		}
		for what, probe := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
			if probe != nil && probe.HTTPGet != nil && probe.HTTPGet.Port.StrVal != "" && !ports[probe.HTTPGet.Port.StrVal] {
				e = append(e, c.Name+": "+what+": no port named "+probe.HTTPGet.Port.StrVal)
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				e = append(e, c.Name+": volumeMount "+m.Name+" has no volume")
			}
			used[m.Name] = true
		}
		if hardened {
			e = append(e, hardenedChecks(c)...)
		}
	}
	for v := range volumes {
		if !used[v] {
			e = append(e, "volume "+v+" is mounted by no container")
		}
	}
	return e
}

func hardenedChecks(c corev1.Container) []string {
	s := c.SecurityContext
	if s == nil {
		return []string{c.Name + ": no securityContext"}
	}
	var e []string
	if s.AllowPrivilegeEscalation == nil || *s.AllowPrivilegeEscalation {
		e = append(e, c.Name+": allowPrivilegeEscalation must be false")
	}
	if s.ReadOnlyRootFilesystem == nil || !*s.ReadOnlyRootFilesystem {
		e = append(e, c.Name+": readOnlyRootFilesystem must be true")
	}
	if s.Capabilities == nil || len(s.Capabilities.Drop) != 1 || s.Capabilities.Drop[0] != "ALL" || len(s.Capabilities.Add) > 0 {
		e = append(e, c.Name+": capabilities must drop ALL and add none")
	}
	if s.SeccompProfile == nil || s.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		e = append(e, c.Name+": seccompProfile must be RuntimeDefault")
	}
	if s.RunAsUser == nil || *s.RunAsUser != 101 || s.RunAsGroup == nil || *s.RunAsGroup != 1001 {
		e = append(e, c.Name+": must run as uid 101 / gid 1001")
	}
	if c.Resources.Requests == nil || c.Resources.Limits == nil {
		e = append(e, c.Name+": resources need requests and limits")
	}
	if c.LivenessProbe == nil || c.ReadinessProbe == nil {
		e = append(e, c.Name+": needs liveness and readiness probes")
	}
	return e
}
