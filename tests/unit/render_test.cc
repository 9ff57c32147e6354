// `epp-bridge render`: golden files (tests/render/<case>/), the bridge
// container added and removed, and clear errors for bad manifests.
// EPP_BRIDGE_UPDATE_GOLDEN=1 rewrites the golden files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "render/manifest.h"
#include "render/nginx_config_writer.h"
#include "render/pod_checker.h"
#include "render/renderer.h"
#include "render/route_resolver.h"

namespace eppb::render {
namespace {

const std::string kDir = std::string(EPP_SOURCE_DIR) + "/tests/render/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Input {
  std::string text;
  bool passthrough;
};

// Renders `inputs` (passthrough or context); false with *error on failure.
bool RenderText(const std::vector<Input>& inputs, const RenderOptions& o, RenderResult* out,
                std::string* error) {
  ManifestReader reader(o.default_namespace);
  std::vector<Manifest> all;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!reader.Read(inputs[i].text, "input" + std::to_string(i), inputs[i].passthrough, &all,
                     error)) {
      return false;
    }
  }
  return Renderer(o).Render(std::move(all), out, error);
}

void ExpectGolden(const std::string& path, const std::string& actual) {
  if (std::getenv("EPP_BRIDGE_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
    return;
  }
  EXPECT_EQ(ReadFile(path), actual)
      << "golden file " << path << " differs (EPP_BRIDGE_UPDATE_GOLDEN=1 rewrites it)";
}

RenderResult Golden(const std::string& name, const std::string& workload,
                    const std::string& context, const RenderOptions& o) {
  RenderResult result;
  std::string error;
  EXPECT_TRUE(RenderText({{ReadFile(kDir + workload), true}, {ReadFile(kDir + context), false}}, o,
                         &result, &error))
      << error;
  ExpectGolden(kDir + name + "/expected.yaml", result.manifests);
  ExpectGolden(kDir + name + "/expected-nginx.conf", result.nginx_conf);
  return result;
}

// The checker's problems with a rendered manifest stream.
std::vector<std::string> Problems(const std::string& manifests, const std::string& ns = "default") {
  return PodChecker("nginx", "epp-bridge", ns).Check(YAML::LoadAll(manifests));
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

TEST(RenderGolden, GieSampleAddsTheBridge) {
  RenderOptions o;
  auto r = Golden("gie-sample", "nginx-workload.yaml", "gie-sample/context.yaml", o);
  EXPECT_TRUE(r.bridge);
  EXPECT_NE(r.manifests.find("name: epp-bridge"), std::string::npos);
  // Its worker loops follow the CPU it requests (100m: one), through the
  // downward API.
  const auto docs = YAML::LoadAll(r.manifests);
  bool threads = false;
  for (const auto& d : docs) {
    if (!d["spec"] || !d["spec"]["template"]) continue;
    for (const auto& c : d["spec"]["template"]["spec"]["containers"]) {
      if (c["name"].as<std::string>() != "epp-bridge") continue;
      for (const auto& e : c["env"]) {
        if (e["name"].as<std::string>() != "EPP_BRIDGE_THREADS") continue;
        const auto ref = e["valueFrom"]["resourceFieldRef"];
        EXPECT_EQ(ref["resource"].as<std::string>(), "requests.cpu");
        EXPECT_EQ(ref["containerName"].as<std::string>(), "epp-bridge");
        EXPECT_EQ(ref["divisor"].as<std::string>(), "1");
        EXPECT_EQ(c["resources"]["requests"]["cpu"].as<std::string>(), "100m");
        threads = true;
      }
    }
  }
  EXPECT_TRUE(threads) << r.manifests;
  EXPECT_NE(
      r.nginx_conf.find("set $epp_host vllm-llama3-8b-instruct-epp.default.svc.cluster.local;"),
      std::string::npos);
  EXPECT_NE(r.nginx_conf.find("set $epp_port 9002;"), std::string::npos);
  EXPECT_NE(r.nginx_conf.find("include epp-server.conf;"), std::string::npos);
  // The route's timeouts are not applied, and render says so.
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("spec.rules[0].timeouts"), std::string::npos);
}

TEST(RenderGolden, PlainServicesRemoveTheBridge) {
  RenderOptions o;
  o.default_namespace = "web";
  auto r = Golden("plain-services", "plain-services/input.yaml", "plain-services/context.yaml", o);
  EXPECT_FALSE(r.bridge);
  EXPECT_EQ(r.manifests.find("epp-bridge-run"), std::string::npos);
  EXPECT_EQ(r.manifests.find("- name: epp-bridge\n"), std::string::npos);
  EXPECT_EQ(r.nginx_conf.find("js_"), std::string::npos);
  EXPECT_EQ(r.nginx_conf.find("epp_bridge"), std::string::npos);
}

TEST(RenderGolden, WeightedPoolsHostnamesAndFailOpen) {
  RenderOptions o;
  o.default_namespace = "ai";
  o.completion_socket = "/var/run/epp-bridge/completion.sock";
  auto r = Golden("weighted", "nginx-workload.yaml", "weighted/context.yaml", o);
  EXPECT_TRUE(r.bridge);
  // The FailOpen pools get their fallback Services.
  EXPECT_NE(r.manifests.find("name: llama-b-epp-fallback\n  namespace: ai"), std::string::npos);
  EXPECT_NE(r.manifests.find("name: llama-b-epp-fallback\n  namespace: batch"), std::string::npos);
  // The route of another Gateway, with an unsupported match, is left alone.
  for (const auto& w : r.warnings) EXPECT_EQ(w.find("elsewhere"), std::string::npos) << w;
}

TEST(RenderGolden, NativeSidecarWithCompletionSocket) {
  RenderOptions o;
  o.native_sidecar = true;
  o.completion_socket = "/var/run/epp-bridge/completion.sock";
  auto r = Golden("native-sidecar", "nginx-workload.yaml", "gie-sample/context.yaml", o);
  EXPECT_NE(r.manifests.find("initContainers:\n        - name: epp-bridge"), std::string::npos);
  EXPECT_NE(r.manifests.find("restartPolicy: Always"), std::string::npos);
  EXPECT_EQ(r.completion_conf,
            "# Generated by `epp-bridge render`: the access log of EPP-routed requests and,\n"
            "# with a completion socket, their completion records for the bridge.\n"
            "access_log /dev/stdout epp;\n"
            "access_log syslog:server=unix:/var/run/epp-bridge/completion.sock,nohostname,tag=epp "
            "epp_completion if=$epp_endpoint;\n");
  EXPECT_NE(r.manifests.find("  epp-completion.conf: |"), std::string::npos);
}

TEST(Render, IsIdempotentAndRemovesTheBridgeWhenRoutesLeaveThePool) {
  RenderOptions o;
  const std::string context = ReadFile(kDir + "gie-sample/context.yaml");
  RenderResult first, second, third;
  std::string error;
  ASSERT_TRUE(RenderText({{ReadFile(kDir + "nginx-workload.yaml"), true}, {context, false}}, o,
                         &first, &error))
      << error;
  ASSERT_TRUE(RenderText({{first.manifests, true}, {context, false}}, o, &second, &error)) << error;
  EXPECT_EQ(first.manifests, second.manifests);

  // The same route now goes to a plain Service: the bridge goes away.
  std::string plain = context;
  const std::string pool_ref =
      "        - group: inference.networking.k8s.io\n"
      "          kind: InferencePool\n"
      "          name: vllm-llama3-8b-instruct\n";
  ASSERT_NE(plain.find(pool_ref), std::string::npos);
  plain.replace(plain.find(pool_ref), pool_ref.size(), "        - name: web\n          port: 80\n");
  ASSERT_TRUE(RenderText({{second.manifests, true}, {plain, false}}, o, &third, &error)) << error;
  EXPECT_FALSE(third.bridge);
  EXPECT_EQ(third.manifests.find("- name: epp-bridge\n"), std::string::npos);
  EXPECT_EQ(third.manifests.find("  epp-completion.conf: |"), std::string::npos);
  EXPECT_NE(third.nginx_conf.find("server web.default.svc.cluster.local:80;"), std::string::npos);
}

TEST(Render, KeepsTheWorkloadsOwnBridgeContainer) {
  RenderOptions o;
  o.default_namespace = "web";
  RenderResult r;
  std::string error;
  std::string context = ReadFile(kDir + "gie-sample/context.yaml");
  // gie-sample's objects name no namespace except the EPP Service: move them to "web".
  const std::string svc_ns = "  namespace: default\n";
  context.erase(context.find(svc_ns), svc_ns.size());
  ASSERT_TRUE(RenderText({{ReadFile(kDir + "plain-services/input.yaml"), true}, {context, false}},
                         o, &r, &error))
      << error;
  EXPECT_TRUE(r.bridge);
  // Its own args (with the completion socket) are kept, and NGINX writes there.
  EXPECT_NE(r.manifests.find("--completion-socket"), std::string::npos);
  EXPECT_NE(r.completion_conf.find("syslog:server=unix:/var/run/epp-bridge/completion.sock"),
            std::string::npos);
}

TEST(Render, RendersOnlyTheConfigWithConfigOnly) {
  RenderOptions o;
  o.config_only = true;
  RenderResult r;
  std::string error;
  ASSERT_TRUE(RenderText({{ReadFile(kDir + "gie-sample/context.yaml"), false}}, o, &r, &error))
      << error;
  EXPECT_TRUE(r.bridge);
  EXPECT_EQ(r.manifests, "");
  EXPECT_NE(r.nginx_conf.find("js_content epp.route;"), std::string::npos);
}

TEST(Render, TestOptionsResolveAndRelocate) {
  RenderOptions o;
  o.config_only = true;
  o.listen_address = "127.0.0.1";
  o.port_map[80] = 18080;
  o.health_port = 0;
  o.resolve["vllm-llama3-8b-instruct-epp.default.svc.cluster.local:9002"] = {"127.0.0.1:19002"};
  RenderResult r;
  std::string error;
  ASSERT_TRUE(RenderText({{ReadFile(kDir + "gie-sample/context.yaml"), false}}, o, &r, &error))
      << error;
  EXPECT_NE(r.nginx_conf.find("listen 127.0.0.1:18080 default_server;"), std::string::npos);
  EXPECT_NE(r.nginx_conf.find("set $epp_host 127.0.0.1;"), std::string::npos);
  EXPECT_NE(r.nginx_conf.find("set $epp_port 19002;"), std::string::npos);
  EXPECT_EQ(r.nginx_conf.find("/healthz"), std::string::npos);
}

TEST(Render, WeightsBecomeSplitClientsPercentages) {
  using W = std::vector<int64_t>;
  using S = std::vector<std::string>;
  EXPECT_EQ(NginxConfigWriter::Percentages(W{70, 30}), (S{"70%", "*"}));
  EXPECT_EQ(NginxConfigWriter::Percentages(W{1, 1, 1}), (S{"33.33%", "33.33%", "*"}));
  EXPECT_EQ(NginxConfigWriter::Percentages(W{1, 999999}), (S{"0.01%", "*"}));
  EXPECT_EQ(NginxConfigWriter::Percentages(W{5, 10, 5}), (S{"25%", "50%", "*"}));
}

TEST(Render, FallbackServiceNamesAreDnsLabels) {
  EXPECT_EQ(RouteResolver::FallbackServiceName("llama"), "llama-epp-fallback");
  const std::string long_name(80, 'a');
  const std::string n = RouteResolver::FallbackServiceName(long_name);
  EXPECT_LE(n.size(), 63u);
  EXPECT_NE(n, RouteResolver::FallbackServiceName(long_name + "b"));
  EXPECT_EQ(n.substr(n.size() - 13), "-epp-fallback");
}

// --- bad manifests: the error names the object and the field ----------------

const char* kGateway = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: nginx
  listeners: [{name: http, port: 80, protocol: HTTP}]
)";

const char* kPool = R"(
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: pool}
spec:
  targetPorts: [{number: 8000}]
  selector: {matchLabels: {app: m}}
  endpointPickerRef: {name: epp, port: {number: 9002}}
)";

std::string Route(const std::string& backend, const std::string& match = "") {
  return R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [)" +
         backend + "]\n" + (match.empty() ? "" : "    matches: [" + match + "]\n");
}

const std::string kPoolRef =
    "{group: inference.networking.k8s.io, kind: InferencePool, name: pool}";

std::string ErrorOf(const std::vector<std::string>& docs, RenderOptions o = {}) {
  o.config_only = true;
  std::string all;
  for (const auto& d : docs) all += "---\n" + d + "\n";
  RenderResult r;
  std::string error;
  EXPECT_FALSE(RenderText({{all, false}}, o, &r, &error)) << "rendered although bad:\n" << all;
  return error;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(RenderErrors, NameTheObjectAndTheField) {
  struct Case {
    std::vector<std::string> docs;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{kGateway, Route(kPoolRef),
        Replace(kPool, "  endpointPickerRef: {name: epp, port: {number: 9002}}\n", "")},
       "InferencePool default/pool: spec.endpointPickerRef: required by epp-bridge"},
      {{kGateway, Route(kPoolRef),
        Replace(kPool, "port: {number: 9002}}", "port: {number: 9002}, failureMode: Open}")},
       "InferencePool default/pool: spec.endpointPickerRef.failureMode: must be one of FailOpen, "
       "FailClose (got \"Open\")"},
      {{kGateway, Route(kPoolRef), Replace(kPool, "{number: 8000}", "{number: 70000}")},
       "InferencePool default/pool: spec.targetPorts[0].number: must be an integer from 1 to 65535 "
       "(got \"70000\")"},
      {{kGateway, Route(kPoolRef),
        Replace(kPool, "{name: epp, port: {number: 9002}}", "{name: epp}")},
       "InferencePool default/pool: spec.endpointPickerRef.port: required when the Endpoint Picker "
       "is a Service"},
      {{kGateway, Route(kPoolRef), Replace(kPool, "{matchLabels: {app: m}}", "{}")},
       "InferencePool default/pool: spec.selector.matchLabels: required field is missing"},
      {{kGateway, Route(kPoolRef),
        Replace(kPool, "inference.networking.k8s.io/v1", "inference.networking.k8s.io/v1alpha9")},
       "InferencePool default/pool: apiVersion: must be inference.networking.k8s.io/v1"},
      {{kGateway, Route(kPoolRef),
        Replace(kPool, "  targetPorts: [{number: 8000}]\n",
                "  targetPorts: [{number: 8000}]\n  appProtocol: kubernetes.io/h2c\n")},
       "InferencePool default/pool: spec.appProtocol: kubernetes.io/h2c is not supported"},
      {{kGateway, Route("{group: inference.networking.k8s.io, kind: InferencePool, name: nope}")},
       "HTTPRoute default/r: spec.rules[0].backendRefs[0]: InferencePool default/nope is not in "
       "the input"},
      {{kGateway, Route("{group: inference.networking.x-k8s.io, kind: InferencePool, name: pool}")},
       "HTTPRoute default/r: spec.rules[0].backendRefs[0].group: inference.networking.x-k8s.io "
       "(v1alpha2) is not supported"},
      {{kGateway, Route("{name: web}")},
       "HTTPRoute default/r: spec.rules[0].backendRefs[0].port: required for a Service backend"},
      {{kGateway, Route("{name: web, port: 80, weight: -1}")},
       "HTTPRoute default/r: spec.rules[0].backendRefs[0].weight: must be an integer from 0 to "
       "1000000 (got \"-1\")"},
      {{kGateway, Route(kPoolRef, "{headers: [{name: x, value: y}]}"), kPool},
       "HTTPRoute default/r: spec.rules[0].matches[0].headers: header matches are not supported"},
      {{kGateway, Route(kPoolRef, "{path: {type: RegularExpression, value: /v.*}}"), kPool},
       "HTTPRoute default/r: spec.rules[0].matches[0].path.type: RegularExpression is not "
       "supported"},
      {{kGateway, Route(kPoolRef, "{path: {value: v1}}"), kPool},
       "HTTPRoute default/r: spec.rules[0].matches[0].path.value: must be an absolute path"},
      {{kGateway, Route(kPoolRef + ", {name: web, port: 80}"), kPool},
       "HTTPRoute default/r: spec.rules[0].backendRefs: mixes InferencePool and Service backends"},
      {{kGateway, Route(kPoolRef), kPool,
        "apiVersion: v1\nkind: Service\nmetadata: {name: epp}\nspec: {ports: [{port: 9003}]}"},
       "InferencePool default/pool: spec.endpointPickerRef.port.number: Service default/epp has no "
       "port 9002"},
      {{Replace(kGateway, "protocol: HTTP}]",
                "protocol: HTTP, allowedRoutes: {namespaces: {from: Selector}}}]")},
       "Gateway default/gw: spec.listeners[0].allowedRoutes.namespaces.from: Selector is not "
       "supported"},
      {{Replace(kGateway, "port: 80", "port: http")},
       "Gateway default/gw: spec.listeners[0].port: must be an integer from 1 to 65535 (got "
       "\"http\")"},
      {{Route(kPoolRef), kPool}, "no Gateway (gateway.networking.k8s.io) in the input"},
      {{kGateway, Replace(kGateway, "{name: gw}", "{name: gw2}")},
       "the input has several Gateways (default/gw default/gw2); choose one with --gateway"},
      {{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: [1, 2}"},
       "input0: line 5, column 16: illegal flow end"},
      {{"kind: ConfigMap\nmetadata: {name: x}"},
       "input0: document 1: apiVersion and kind are required"},
  };
  for (const auto& c : cases) {
    const std::string error = ErrorOf(c.docs);
    EXPECT_EQ(error.rfind(c.want, 0), 0u) << "want prefix: " << c.want << "\n got: " << error;
  }
}

TEST(Render, IgnoresRoutesAndPoolsOfOtherGateways) {
  const std::string other =
      Replace(Route(kPoolRef, "{headers: [{name: x, value: y}]}"), "[{name: gw}]", "[{name: gw2}]");
  const std::string broken =
      Replace(kPool, "  endpointPickerRef: {name: epp, port: {number: 9002}}\n", "");
  RenderResult r;
  std::string error;
  RenderOptions o;
  o.config_only = true;
  ASSERT_TRUE(RenderText({{std::string(kGateway) + "\n---\n" + other + "\n---\n" + broken, false}},
                         o, &r, &error))
      << error;
  EXPECT_FALSE(r.bridge);
  for (const auto& w : r.warnings) EXPECT_EQ(w.find("HTTPRoute"), std::string::npos) << w;
}

TEST(RenderErrors, WorkloadWithoutTheNginxContainer) {
  RenderOptions o;
  o.workload = "gw-nginx";
  o.nginx_container = "proxy";
  RenderResult r;
  std::string error;
  EXPECT_FALSE(RenderText({{ReadFile(kDir + "nginx-workload.yaml"), true},
                           {ReadFile(kDir + "gie-sample/context.yaml"), false}},
                          o, &r, &error));
  EXPECT_EQ(error,
            "Deployment default/gw-nginx: spec.template.spec.containers: no container named "
            "\"proxy\" (--nginx-container)");
}

TEST(RenderAttachment, NamespacesAndHostnamesFollowGatewayApi) {
  RenderOptions o;
  o.config_only = true;
  const std::string gw =
      Replace(kGateway, "protocol: HTTP}]", "protocol: HTTP, hostname: \"*.example.com\"}]");
  const std::string other_ns = Replace(Route("{name: web, port: 80}"), "metadata: {name: r}",
                                       "metadata: {name: r, namespace: team}");
  RenderResult r;
  std::string error;
  // Another namespace, listener allows Same only: not attached, with a warning.
  ASSERT_TRUE(
      RenderText({{std::string(gw) + "\n---\n" +
                       Replace(other_ns, "[{name: gw}]", "[{name: gw, namespace: default}]"),
                   false}},
                 o, &r, &error))
      << error;
  EXPECT_EQ(r.nginx_conf.find("web.team"), std::string::npos);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("HTTPRoute team/r: spec.parentRefs: attaches to no HTTP listener"),
            std::string::npos);
  // Hostnames intersect with the listener's wildcard.
  const std::string hosts =
      Replace(Route("{name: web, port: 80}", "{path: {value: /v1}}"),
              "  rules:", "  hostnames: [a.example.com, b.other.org]\n  rules:");
  ASSERT_TRUE(RenderText({{std::string(gw) + "\n---\n" + hosts, false}}, o, &r, &error)) << error;
  EXPECT_NE(r.nginx_conf.find("server_name a.example.com;"), std::string::npos);
  EXPECT_EQ(r.nginx_conf.find("b.other.org"), std::string::npos);
  // Gateway API prefixes match whole segments: /v1 and /v1/..., not /v1x.
  EXPECT_NE(r.nginx_conf.find("location = /v1 {"), std::string::npos);
  EXPECT_NE(r.nginx_conf.find("location /v1/ {"), std::string::npos);
  // Hosts without a route get 404 from the port's default server.
  EXPECT_NE(r.nginx_conf.find("listen 80 default_server;\n        server_name _;"),
            std::string::npos);
}

// --- the Pod runs what was rendered ---------------------------------------------

TEST(RenderGolden, PlainDeploymentGetsTheConfigurationMounted) {
  RenderOptions o;
  auto r =
      Golden("plain-deployment", "plain-deployment/input.yaml", "plain-deployment/context.yaml", o);
  EXPECT_TRUE(r.bridge);
  // NGINX runs the rendered configuration, with the files it includes.
  EXPECT_NE(r.manifests.find("command:\n            - nginx"), std::string::npos);
  EXPECT_NE(r.manifests.find("- /etc/nginx/epp/nginx.conf"), std::string::npos);
  for (const char* cm :
       {"name: my-nginx-nginx-conf", "name: my-nginx-epp-conf", "name: my-nginx-njs"}) {
    EXPECT_NE(r.manifests.find(cm), std::string::npos) << cm;
  }
  EXPECT_NE(r.manifests.find("js_import epp from epp.js;"), std::string::npos);
  // The response phase by default, wired into both containers.
  EXPECT_NE(r.completion_conf.find("syslog:server=unix:/var/run/epp-bridge/completion.sock"),
            std::string::npos);
  EXPECT_NE(r.manifests.find("--completion-socket-group\n            - \"1001\""),
            std::string::npos);
  EXPECT_NE(r.manifests.find("fsGroup: 1001"), std::string::npos);
  EXPECT_NE(r.manifests.find("net.ipv4.ip_unprivileged_port_start"), std::string::npos);
  // A second render changes nothing.
  RenderResult again;
  std::string error;
  ASSERT_TRUE(
      RenderText({{r.manifests, true}, {ReadFile(kDir + "plain-deployment/context.yaml"), false}},
                 o, &again, &error))
      << error;
  EXPECT_EQ(again.manifests, r.manifests);
}

TEST(RenderGolden, BridgeArgCompletionSocketIsWiredEverywhere) {
  RenderOptions o;
  o.bridge_args = {"--completion-socket=/run/epp/c.sock", "--endpoint-picker-disable-tls"};
  auto r = Golden("bridge-arg-socket", "plain-deployment/input.yaml",
                  "plain-deployment/context.yaml", o);
  EXPECT_NE(r.completion_conf.find("syslog:server=unix:/run/epp/c.sock,"), std::string::npos);
  EXPECT_EQ(r.manifests.find("/var/run/epp-bridge"), std::string::npos);
  EXPECT_NE(r.manifests.find("mountPath: /run/epp"), std::string::npos);
}

TEST(RenderGolden, ExistingBridgeWithSocketGetsItsMount) {
  RenderOptions o;
  o.default_namespace = "web";
  std::string context = ReadFile(kDir + "gie-sample/context.yaml");
  const std::string svc_ns = "  namespace: default\n";
  context.erase(context.find(svc_ns), svc_ns.size());
  // The workload's bridge has --completion-socket but no mount (read-only root).
  std::string input = ReadFile(kDir + "plain-services/input.yaml");
  const std::string mount =
      "          volumeMounts:\n            - name: epp-bridge-run\n"
      "              mountPath: /var/run/epp-bridge\n      volumes:";
  ASSERT_NE(input.find(mount), std::string::npos);
  input.replace(input.find(mount), mount.size(), "      volumes:");
  RenderResult r;
  std::string error;
  ASSERT_TRUE(RenderText({{input, true}, {context, false}}, o, &r, &error)) << error;
  ExpectGolden(kDir + "existing-bridge/expected.yaml", r.manifests);
  EXPECT_TRUE(Problems(r.manifests, "web").empty()) << Join(Problems(r.manifests, "web"));
}

TEST(RenderGolden, ResponsePhaseOff) {
  RenderOptions o;
  o.completion_socket = "";
  o.completion_socket_set = true;
  auto r = Golden("no-response-phase", "plain-deployment/input.yaml",
                  "plain-deployment/context.yaml", o);
  EXPECT_EQ(r.manifests.find("--completion-socket"), std::string::npos);
  EXPECT_EQ(r.manifests.find("epp-bridge-run"), std::string::npos);
  EXPECT_NE(r.completion_conf.find("(no completion socket)"), std::string::npos);
}

TEST(RenderPodChecker, EveryGoldenOutputIsConsistent) {
  size_t checked = 0;
  for (const auto& dir : std::filesystem::directory_iterator(kDir)) {
    const auto path = dir.path() / "expected.yaml";
    if (!std::filesystem::exists(path)) continue;
    const std::string text = ReadFile(path.string());
    // The namespace render used for objects that name none.
    const std::string ns = text.find("namespace: ai") != std::string::npos    ? "ai"
                           : text.find("namespace: web") != std::string::npos ? "web"
                                                                              : "default";
    EXPECT_TRUE(Problems(text, ns).empty()) << path << ":\n" << Join(Problems(text, ns));
    ++checked;
  }
  EXPECT_GE(checked, 7u);
}

TEST(RenderPodChecker, FindsWhatDoesNotAgree) {
  RenderOptions o;
  RenderResult r;
  std::string error;
  ASSERT_TRUE(RenderText({{ReadFile(kDir + "plain-deployment/input.yaml"), true},
                          {ReadFile(kDir + "plain-deployment/context.yaml"), false}},
                         o, &r, &error))
      << error;
  ASSERT_TRUE(Problems(r.manifests).empty()) << Join(Problems(r.manifests));
  const std::vector<std::pair<std::string, std::string>> breaks = {
      // NGINX without the socket's volume.
      {"            - name: epp-bridge-run\n              mountPath: /var/run/epp-bridge\n"
       "          securityContext:\n            runAsUser: 101",
       "          securityContext:\n            runAsUser: 101"},
      {"- /var/run/epp-bridge/completion.sock", "- /tmp/other.sock"},
      {"--listen\n            - 127.0.0.1:54800", "--listen\n            - 127.0.0.1:1"},
      {"  epp.js: |", "  other.js: |"},
      {"  epp-proxy.conf: |", "  other.conf: |"},
      {"runAsUser: 101", "runAsUser: 0"},
      {"fsGroup: 1001", "runAsGroup: 1001"},
  };
  for (const auto& [from, to] : breaks) {
    std::string broken = r.manifests;
    const auto at = broken.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    broken.replace(at, from.size(), to);
    EXPECT_FALSE(Problems(broken).empty()) << "not found: " << from << " → " << to;
  }
}

TEST(RenderErrors, PodThatCannotRunTheConfiguration) {
  const std::string context = ReadFile(kDir + "plain-deployment/context.yaml");
  const std::string plain = ReadFile(kDir + "plain-deployment/input.yaml");
  auto error_of = [&](const std::string& input, RenderOptions o) {
    RenderResult r;
    std::string error;
    EXPECT_FALSE(RenderText({{input, true}, {context, false}}, o, &r, &error)) << input;
    return error;
  };
  // No workload to write: the Deployment given as context is named.
  RenderResult r;
  std::string error;
  EXPECT_FALSE(RenderText({{context, false}, {plain, false}}, {}, &r, &error));
  EXPECT_EQ(error.rfind("no NGINX Deployment or DaemonSet among the manifests to write", 0), 0u)
      << error;
  EXPECT_NE(
      error.find("Deployment default/my-nginx from input1: document 1 was given with --context"),
      std::string::npos)
      << error;
  EXPECT_NE(error.find("--config-only"), std::string::npos);
  // Another configuration file.
  EXPECT_EQ(error_of(Replace(plain, "          image: nginx:1.27\n",
                             "          image: nginx:1.27\n          args: [nginx, -c, "
                             "/etc/nginx/nginx.conf]\n"),
                     {}),
            "Deployment default/my-nginx: container nginx: runs NGINX with -c "
            "/etc/nginx/nginx.conf, but the rendered configuration is /etc/nginx/epp/nginx.conf: "
            "remove the container's command and args (render sets them) or pass -c "
            "/etc/nginx/epp/nginx.conf");
  // NGINX as root: its workers would not reach the socket.
  EXPECT_EQ(error_of(Replace(plain, "          image: nginx:1.27\n",
                             "          image: nginx:1.27\n          securityContext: "
                             "{runAsUser: 0}\n"),
                     {})
                .rfind("Deployment default/my-nginx: NGINX runs as root", 0),
            0u);
  // A volume of its own at the configuration's directory, without the files.
  const std::string own =
      Replace(plain, "            - containerPort: 80\n",
              "            - containerPort: 80\n          volumeMounts: [{name: conf, mountPath: "
              "/etc/nginx/epp}]\n      volumes: [{name: conf, configMap: {name: mine}}]\n");
  EXPECT_EQ(error_of(own, {}).rfind("Deployment default/my-nginx: container nginx: volume "
                                    "\"conf\" mounted at /etc/nginx/epp does not include "
                                    "ConfigMap my-nginx-nginx-conf",
                                    0),
            0u);
  // --completion-socket against the bridge's own.
  RenderOptions o;
  o.completion_socket = "/var/run/x/c.sock";
  o.completion_socket_set = true;
  o.bridge_args = {"--completion-socket", "/var/run/y/c.sock"};
  EXPECT_EQ(error_of(plain, o),
            "--completion-socket \"/var/run/x/c.sock\" differs from --bridge-arg "
            "--completion-socket \"/var/run/y/c.sock\"");
  o = {};
  o.bridge_args = {"--completion-socket=rel.sock"};
  EXPECT_EQ(error_of(plain, o),
            "--bridge-arg --completion-socket must be an absolute path (got \"rel.sock\")");
}

}  // namespace
}  // namespace eppb::render
