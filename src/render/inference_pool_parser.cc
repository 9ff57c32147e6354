#include <algorithm>

#include "render/field_reader.h"
#include "render/names.h"
#include "render/parsers.h"

namespace eppb::render {

bool InferencePoolParser::Parse(const Manifest& m, InferencePool* out, std::string* error) {
  FieldReader root(m.node(), m.Describe(), "");
  if (m.api_version() != std::string(kGroup) + "/v1") {
    *error = root["apiVersion"].Error("must be " + std::string(kGroup) + "/v1 (got \"" +
                                      m.api_version() + "\")");
    return false;
  }
  out->key = {m.ns(), m.name()};
  if (!IsDnsSubdomain(m.name())) {
    *error = root["metadata"]["name"].Error("must be a DNS subdomain (got \"" + m.name() + "\")");
    return false;
  }
  const FieldReader spec = root["spec"];
  if (!spec.Map(true, error)) return false;

  const FieldReader labels = spec["selector"]["matchLabels"];
  if (!spec["selector"].Map(true, error) || !labels.Map(true, error)) return false;
  for (const auto& kv : labels.node()) {
    const std::string key = ScalarOr(kv.first, "");
    const FieldReader value = labels[key];
    std::string v;
    if (key.empty() || !value.String(&v, false, error)) {
      if (error->empty()) *error = labels.Error("label keys and values must be strings");
      return false;
    }
    out->selector[key] = v;
  }
  if (out->selector.empty()) {
    *error = labels.Error("must have at least one label");
    return false;
  }

  const FieldReader ports = spec["targetPorts"];
  if (!ports.Sequence(true, error)) return false;
  if (ports.size() < 1 || ports.size() > 8) {
    *error = ports.Error("must have 1 to 8 entries");
    return false;
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    int64_t n = 0;
    if (!ports.Item(i)["number"].Int(&n, 1, 65535, true, error)) return false;
    const auto port = static_cast<uint16_t>(n);
    if (std::find(out->target_ports.begin(), out->target_ports.end(), port) !=
        out->target_ports.end()) {
      *error = ports.Item(i)["number"].Error("port " + std::to_string(n) + " is listed twice");
      return false;
    }
    out->target_ports.push_back(port);
  }

  std::string protocol = "http";
  if (!spec["appProtocol"].Enum(&protocol, {"http", "kubernetes.io/h2c"}, error)) return false;
  if (protocol != "http") {
    *error = spec["appProtocol"].Error(
        "kubernetes.io/h2c is not supported: NGINX proxies to model servers over HTTP/1.1");
    return false;
  }

  const FieldReader ref = spec["endpointPickerRef"];
  if (!ref.present()) {
    *error = ref.Error(
        "required by epp-bridge: every request to the pool goes through its "
        "Endpoint Picker");
    return false;
  }
  if (!ref.Map(true, error)) return false;
  std::string group, kind = "Service";
  if (!ref["group"].String(&group, false, error) || !ref["kind"].String(&kind, false, error)) {
    return false;
  }
  if (!group.empty() || kind != "Service") {
    *error = ref["kind"].Error("only a core Service is supported as the Endpoint Picker (got " +
                               (group.empty() ? "" : group + "/") + kind + ")");
    return false;
  }
  if (!ref["name"].String(&out->epp_service, true, error)) return false;
  if (!IsDnsLabel(out->epp_service)) {
    *error =
        ref["name"].Error("must be a Service name (DNS label), got \"" + out->epp_service + "\"");
    return false;
  }
  int64_t port = 0;
  if (!ref["port"].present()) {
    *error = ref["port"].Error("required when the Endpoint Picker is a Service");
    return false;
  }
  if (!ref["port"].Map(true, error) || !ref["port"]["number"].Int(&port, 1, 65535, true, error)) {
    return false;
  }
  out->epp_port = static_cast<uint16_t>(port);
  return ref["failureMode"].Enum(&out->failure_mode, {"FailOpen", "FailClose"}, error);
}

}  // namespace eppb::render
