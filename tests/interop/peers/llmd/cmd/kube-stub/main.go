// Command kube-stub is the smallest Kubernetes API the llm-d EPP needs when it
// follows an InferencePool (--pool-name): discovery for core/v1 and
// inference.networking.k8s.io/v1, and get/list/watch of the Pods and
// InferencePools of one namespace. Everything is fixed at start-up; the Pods
// are Ready and each names the model server ports it serves with the
// inference.networking.k8s.io/active-ports annotation, so every endpoint of a
// pool is a distinct IP:port.
//
//	kube-stub --listen 127.0.0.1:PORT --objects FILE
//
// FILE has one object per line ('#' starts a comment):
//
//	pod NAME IP LABEL=VALUE PORT[,PORT...]
//	pool NAME LABEL=VALUE PORT[,PORT...]
//
// Every request is logged to stderr.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	resourceVersion = "1"
	poolGroup       = "inference.networking.k8s.io"
	poolVersion     = poolGroup + "/v1"
)

// object is one stored object with the label used for selectors.
type object struct {
	name, labelKey, labelValue string
	body                       func(namespace string) map[string]any
}

func hash(s string) string {
	var h uint64 = 1469598103934665603
	for _, c := range []byte(s) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return fmt.Sprintf("00000000-0000-0000-0000-%012x", h&0xffffffffffff)
}

func meta(name, namespace string, extra map[string]any) map[string]any {
	m := map[string]any{
		"name": name, "namespace": namespace, "uid": hash(namespace + "/" + name),
		"resourceVersion": resourceVersion, "generation": 1,
		"creationTimestamp": "2026-01-01T00:00:00Z",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func newPod(name, ip, key, value, ports string) object {
	return object{name: name, labelKey: key, labelValue: value, body: func(ns string) map[string]any {
		return map[string]any{
			"apiVersion": "v1",
			"kind":       "Pod",
			"metadata": meta(name, ns, map[string]any{
				"labels":      map[string]string{key: value},
				"annotations": map[string]string{"inference.networking.k8s.io/active-ports": ports},
			}),
			"spec": map[string]any{
				"containers": []any{map[string]any{"name": "model-server", "image": "llm-d-inference-sim"}},
			},
			"status": map[string]any{
				"phase":      "Running",
				"podIP":      ip,
				"podIPs":     []any{map[string]string{"ip": ip}},
				"conditions": []any{map[string]string{"type": "Ready", "status": "True"}},
			},
		}
	}}
}

func newPool(name, key, value, ports string) (object, error) {
	var targets []any
	for _, p := range strings.Split(ports, ",") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return object{}, fmt.Errorf("pool %s: bad port %q", name, p)
		}
		targets = append(targets, map[string]any{"number": n})
	}
	return object{name: name, body: func(ns string) map[string]any {
		return map[string]any{
			"apiVersion": poolVersion,
			"kind":       "InferencePool",
			"metadata":   meta(name, ns, nil),
			"spec": map[string]any{
				"selector":          map[string]any{"matchLabels": map[string]string{key: value}},
				"targetPorts":       targets,
				"endpointPickerRef": map[string]any{"name": name + "-epp", "port": map[string]any{"number": 9002}},
			},
		}
	}}, nil
}

func readObjects(path string) (pods, pools []object, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		bad := fmt.Errorf("%s:%d: want 'pod NAME IP LABEL=VALUE PORTS' or 'pool NAME LABEL=VALUE PORTS'", path, n)
		switch {
		case fields[0] == "pod" && len(fields) == 5 && strings.Contains(fields[3], "="):
			k, v, _ := strings.Cut(fields[3], "=")
			pods = append(pods, newPod(fields[1], fields[2], k, v, fields[4]))
		case fields[0] == "pool" && len(fields) == 4 && strings.Contains(fields[2], "="):
			k, v, _ := strings.Cut(fields[2], "=")
			p, err := newPool(fields[1], k, v, fields[3])
			if err != nil {
				return nil, nil, err
			}
			pools = append(pools, p)
		default:
			return nil, nil, bad
		}
	}
	return pods, pools, sc.Err()
}

// selects applies an equality label selector ("k=v,k2==v2").
func (o object) selects(selector string) bool {
	if selector == "" {
		return true
	}
	for _, term := range strings.Split(selector, ",") {
		k, v, ok := strings.Cut(term, "=")
		if !ok || k != o.labelKey || strings.TrimPrefix(v, "=") != o.labelValue {
			return false
		}
	}
	return true
}

// fieldMatches supports the only field selector used: metadata.name=NAME.
func (o object) fieldMatches(selector string) bool {
	if selector == "" {
		return true
	}
	for _, term := range strings.Split(selector, ",") {
		k, v, ok := strings.Cut(term, "=")
		if !ok || k != "metadata.name" || strings.TrimPrefix(v, "=") != o.name {
			return false
		}
	}
	return true
}

type server struct {
	pods, pools []object
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func notFound(w http.ResponseWriter, what string) {
	writeJSON(w, http.StatusNotFound, map[string]any{
		"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": what + " not found", "reason": "NotFound", "code": 404,
	})
}

func resource(name, kind string) map[string]any {
	return map[string]any{"name": name, "singularName": strings.ToLower(kind), "namespaced": true,
		"kind": kind, "verbs": []string{"get", "list", "watch"}}
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log.Printf("%s %s", r.Method, r.URL.RequestURI())
	path := strings.TrimSuffix(r.URL.Path, "/")
	gv := map[string]string{"groupVersion": poolVersion, "version": "v1"}
	switch {
	case path == "/version":
		writeJSON(w, 200, map[string]string{"major": "1", "minor": "35", "gitVersion": "v1.35.0", "platform": "linux/amd64"})
	case path == "/api":
		writeJSON(w, 200, map[string]any{"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []any{map[string]string{"clientCIDR": "0.0.0.0/0", "serverAddress": r.Host}}})
	case path == "/apis":
		writeJSON(w, 200, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{
			map[string]any{"name": poolGroup, "versions": []any{gv}, "preferredVersion": gv},
		}})
	case path == "/api/v1":
		writeJSON(w, 200, map[string]any{"kind": "APIResourceList", "groupVersion": "v1",
			"resources": []any{resource("pods", "Pod")}})
	case path == "/apis/"+poolVersion:
		writeJSON(w, 200, map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": poolVersion,
			"resources": []any{resource("inferencepools", "InferencePool")}})
	case r.Method != http.MethodGet:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"kind": "Status", "apiVersion": "v1",
			"status": "Failure", "reason": "MethodNotAllowed", "code": 405})
	case strings.HasPrefix(path, "/api/v1/"):
		s.collection(w, r, strings.TrimPrefix(path, "/api/v1"), "pods", "v1", "Pod", s.pods)
	case strings.HasPrefix(path, "/apis/"+poolVersion+"/"):
		s.collection(w, r, strings.TrimPrefix(path, "/apis/"+poolVersion), "inferencepools", poolVersion,
			"InferencePool", s.pools)
	default:
		notFound(w, path)
	}
}

// collection serves /namespaces/NS/RESOURCE[/NAME] and /RESOURCE.
func (s *server) collection(w http.ResponseWriter, r *http.Request, rest, resource, apiVersion, kind string, objs []object) {
	namespace, name := "default", ""
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "namespaces" && parts[2] == resource && len(parts) <= 4:
		namespace = parts[1]
		if len(parts) == 4 {
			name = parts[3]
		}
	case len(parts) == 1 && parts[0] == resource:
	default:
		notFound(w, rest)
		return
	}
	q := r.URL.Query()
	items := []any{}
	for _, o := range objs {
		if (name == "" || o.name == name) && o.selects(q.Get("labelSelector")) && o.fieldMatches(q.Get("fieldSelector")) {
			items = append(items, o.body(namespace))
		}
	}
	if name != "" {
		if len(items) == 0 {
			notFound(w, resource+" "+name)
			return
		}
		writeJSON(w, 200, items[0])
		return
	}
	if q.Get("watch") == "true" || q.Get("watch") == "1" {
		watch(w, r, apiVersion, kind, items, q.Get("sendInitialEvents") == "true")
		return
	}
	writeJSON(w, 200, map[string]any{"kind": kind + "List", "apiVersion": apiVersion,
		"metadata": map[string]any{"resourceVersion": resourceVersion}, "items": items})
}

// watch streams the initial events when asked (the watch-list protocol),
// then keeps the stream open with an occasional bookmark until the client
// goes away or the requested timeout passes. Nothing ever changes.
func watch(w http.ResponseWriter, r *http.Request, apiVersion, kind string, items []any, initial bool) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	enc := json.NewEncoder(w)
	bookmark := func(annotations map[string]string) {
		md := map[string]any{"resourceVersion": resourceVersion}
		if annotations != nil {
			md["annotations"] = annotations
		}
		_ = enc.Encode(map[string]any{"type": "BOOKMARK",
			"object": map[string]any{"kind": kind, "apiVersion": apiVersion, "metadata": md}})
	}
	if initial {
		for _, it := range items {
			_ = enc.Encode(map[string]any{"type": "ADDED", "object": it})
		}
		bookmark(map[string]string{"k8s.io/initial-events-end": "true"})
	}
	if flusher != nil {
		flusher.Flush()
	}
	timeout := 10 * time.Minute
	if secs, err := strconv.Atoi(r.URL.Query().Get("timeoutSeconds")); err == nil && secs > 0 {
		timeout = time.Duration(secs) * time.Second
	}
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	deadline := time.After(timeout)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-deadline:
			return
		case <-tick.C:
			if r.URL.Query().Get("allowWatchBookmarks") == "true" {
				bookmark(nil)
				if flusher != nil {
					flusher.Flush()
				}
			}
		}
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	objects := flag.String("objects", "", "file with one Pod or InferencePool per line (see the package comment)")
	flag.Parse()
	pods, pools, err := readObjects(*objects)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("serving %d pods and %d inference pools on %s", len(pods), len(pools), *listen)
	srv := &http.Server{Addr: *listen, Handler: &server{pods: pods, pools: pools}, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
