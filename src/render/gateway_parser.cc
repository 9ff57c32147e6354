#include "render/field_reader.h"
#include "render/names.h"
#include "render/parsers.h"

namespace eppb::render {

bool GatewayParser::Parse(const Manifest& m, Gateway* out, std::string* error) {
  FieldReader root(m.node(), m.Describe(), "");
  out->key = {m.ns(), m.name()};
  const FieldReader spec = root["spec"];
  if (!spec.Map(true, error)) return false;
  std::string cls;
  if (!spec["gatewayClassName"].String(&cls, true, error)) return false;
  const FieldReader listeners = spec["listeners"];
  if (!listeners.Sequence(true, error)) return false;
  if (listeners.size() == 0) {
    *error = listeners.Error("must have at least one listener");
    return false;
  }
  for (size_t i = 0; i < listeners.size(); ++i) {
    const FieldReader l = listeners.Item(i);
    Listener out_l;
    int64_t port = 0;
    if (!l.Map(true, error) || !l["name"].String(&out_l.name, true, error) ||
        !l["port"].Int(&port, 1, 65535, true, error) ||
        !l["protocol"].String(&out_l.protocol, true, error) ||
        !l["hostname"].String(&out_l.hostname, false, error)) {
      return false;
    }
    out_l.port = static_cast<uint16_t>(port);
    if (!out_l.hostname.empty() && !IsGatewayHostname(out_l.hostname)) {
      *error = l["hostname"].Error("must be a hostname, optionally starting with \"*.\" (got \"" +
                                   out_l.hostname + "\")");
      return false;
    }
    std::string from = "Same";
    const FieldReader allowed = l["allowedRoutes"];
    if (!allowed["namespaces"]["from"].Enum(&from, {"Same", "All", "Selector"}, error)) {
      return false;
    }
    if (from == "Selector") {
      *error = allowed["namespaces"]["from"].Error(
          "Selector is not supported by epp-bridge render (use Same or All)");
      return false;
    }
    out_l.all_namespaces = from == "All";
    const FieldReader kinds = allowed["kinds"];
    if (!kinds.Sequence(false, error)) return false;
    if (kinds.size() > 0) {
      out_l.accepts_http_routes = false;
      for (size_t k = 0; k < kinds.size(); ++k) {
        std::string kind, group = kGroup;
        if (!kinds.Item(k)["kind"].String(&kind, true, error) ||
            !kinds.Item(k)["group"].String(&group, false, error)) {
          return false;
        }
        if (kind == "HTTPRoute" && group == kGroup) out_l.accepts_http_routes = true;
      }
    }
    for (const auto& other : out->listeners) {
      if (other.name == out_l.name) {
        *error = l["name"].Error("listener name \"" + out_l.name + "\" is used twice");
        return false;
      }
    }
    out->listeners.push_back(out_l);
  }
  return true;
}

}  // namespace eppb::render
