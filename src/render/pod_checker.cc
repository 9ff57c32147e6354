#include "render/pod_checker.h"

#include <map>
#include <regex>
#include <set>

#include "render/field_reader.h"
#include "render/pod_volumes.h"

namespace eppb::render {

namespace {

std::string Dir(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

YAML::Node Named(const YAML::Node& list, const std::string& name) {
  if (list.IsDefined() && list.IsSequence()) {
    for (const auto& c : list) {
      if (ScalarOr(At(c, {"name"}), "") == name) return c;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// The files a container sees in one directory, from the ConfigMaps of the
// volume mounted exactly there.
struct DirFiles {
  std::map<std::string, std::string> files;
  std::vector<std::string> unknown;  // ConfigMaps not among the manifests
  bool mounted = false;
};

class PodView {
 public:
  PodView(const YAML::Node& pod, const YAML::Node& container, std::string ns,
          std::string default_ns, const std::vector<YAML::Node>& docs)
      : pod_(pod),
        container_(container),
        ns_(std::move(ns)),
        default_ns_(std::move(default_ns)),
        docs_(docs) {}

  DirFiles Files(const std::string& dir) const {
    DirFiles out;
    const YAML::Node mount = PodVolumes::MountAt(container_, dir);
    if (!mount.IsDefined()) return out;
    out.mounted = true;
    const YAML::Node volume = PodVolumes::Volume(pod_, ScalarOr(At(mount, {"name"}), ""));
    std::vector<YAML::Node> sources;
    if (At(volume, {"configMap"}).IsDefined()) sources.push_back(At(volume, {"configMap"}));
    const YAML::Node projected = At(volume, {"projected", "sources"});
    for (size_t i = 0; projected.IsSequence() && i < projected.size(); ++i) {
      if (At(projected[i], {"configMap"}).IsDefined()) {
        sources.push_back(At(projected[i], {"configMap"}));
      }
    }
    for (const auto& s : sources) {
      const std::string name = ScalarOr(At(s, {"name"}), "");
      const YAML::Node data = ConfigMapData(name);
      if (!data.IsDefined()) {
        out.unknown.push_back(name);
        continue;
      }
      const YAML::Node items = At(s, {"items"});
      for (const auto& kv : data) {
        const std::string key = kv.first.Scalar();
        std::string path = items.IsSequence() ? "" : key;
        for (size_t i = 0; items.IsSequence() && i < items.size(); ++i) {
          if (ScalarOr(At(items[i], {"key"}), "") == key)
            path = ScalarOr(At(items[i], {"path"}), "");
        }
        if (!path.empty()) out.files[path] = ScalarOr(kv.second, "");
      }
    }
    return out;
  }

 private:
  YAML::Node ConfigMapData(const std::string& name) const {
    for (const auto& d : docs_) {
      if (ScalarOr(At(d, {"kind"}), "") != "ConfigMap" ||
          ScalarOr(At(d, {"metadata", "name"}), "") != name ||
          ScalarOr(At(d, {"metadata", "namespace"}), default_ns_) != ns_) {
        continue;
      }
      const YAML::Node data = At(d, {"data"});
      return data.IsMap() ? data : YAML::Node(YAML::NodeType::Map);
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }
  YAML::Node pod_;
  YAML::Node container_;
  std::string ns_;
  std::string default_ns_;
  const std::vector<YAML::Node>& docs_;
};

std::string StripComments(const std::string& text) {
  static const std::regex kComment("#[^\n]*");
  return std::regex_replace(text, kComment, "");
}

std::vector<std::string> Directives(const std::string& text, const std::string& name) {
  const std::regex re("(^|[\\s;{}])" + name + "\\s+([^;]+);");
  std::vector<std::string> out;
  const std::string clean = StripComments(text);
  for (std::sregex_iterator it(clean.begin(), clean.end(), re), end; it != end; ++it) {
    out.push_back((*it)[2].str());
  }
  return out;
}

}  // namespace

std::vector<std::string> PodChecker::Check(const std::vector<YAML::Node>& docs) const {
  std::vector<std::string> problems;
  for (const auto& d : docs) {
    const std::string kind = ScalarOr(At(d, {"kind"}), "");
    if (kind != "Deployment" && kind != "DaemonSet") continue;
    if (!Named(At(d, {"spec", "template", "spec", "containers"}), nginx_container_).IsDefined()) {
      continue;
    }
    CheckWorkload(d, docs, &problems);
  }
  return problems;
}

void PodChecker::CheckWorkload(const YAML::Node& w, const std::vector<YAML::Node>& docs,
                               std::vector<std::string>* problems) const {
  const std::string ns = ScalarOr(At(w, {"metadata", "namespace"}), default_namespace_);
  const std::string who =
      ScalarOr(At(w, {"kind"}), "") + " " + ns + "/" + ScalarOr(At(w, {"metadata", "name"}), "");
  auto problem = [&](const std::string& p) { problems->push_back(who + ": " + p); };
  const YAML::Node pod = At(w, {"spec", "template", "spec"});
  const YAML::Node nginx = Named(At(pod, {"containers"}), nginx_container_);
  YAML::Node bridge = Named(At(pod, {"containers"}), bridge_container_);
  if (!bridge.IsDefined()) bridge = Named(At(pod, {"initContainers"}), bridge_container_);
  const PodView view(pod, nginx, ns, default_namespace_, docs);

  const auto conf = ContainerArgs::Value(nginx, "-c");
  const auto prefix = ContainerArgs::Value(nginx, "-p");
  if (!conf || conf->empty() || conf->front() != '/') {
    problem("NGINX has no absolute -c");
    return;
  }
  if (!prefix || !PodVolumes::MountCovering(nginx, *prefix).IsDefined() ||
      ScalarOr(At(PodVolumes::MountCovering(nginx, *prefix), {"readOnly"}), "") == "true") {
    problem("NGINX's prefix (-p " + prefix.value_or("") + ") is not on a writable mount");
  }
  const std::string conf_dir = Dir(*conf);
  const DirFiles files = view.Files(conf_dir);
  auto missing = [&](const DirFiles& f, const std::string& dir, const std::string& name) {
    std::string p = name + " is not mounted in " + dir;
    if (!f.mounted) p += " (nothing is mounted there)";
    for (const auto& u : f.unknown) p += " (ConfigMap " + u + " is not among the manifests)";
    problem(p);
  };
  if (!files.files.count((*conf).substr(conf_dir.size() + 1))) {
    missing(files, conf_dir, *conf);
    return;
  }
  // The configuration and what it includes, relative to its directory.
  std::string all;
  std::vector<std::string> todo{(*conf).substr(conf_dir.size() + 1)};
  std::set<std::string> seen;
  while (!todo.empty()) {
    const std::string name = todo.back();
    todo.pop_back();
    if (!seen.insert(name).second) continue;
    const auto it = files.files.find(name);
    if (it == files.files.end()) {
      missing(files, conf_dir, name);
      continue;
    }
    all += it->second + "\n";
    for (const auto& inc : Directives(it->second, "include")) todo.push_back(inc);
  }
  for (const auto& js_path : Directives(all, "js_path")) {
    const DirFiles njs = view.Files(js_path);
    for (const auto& imp : Directives(all, "js_import")) {
      const auto from = imp.rfind(' ');
      const std::string file = from == std::string::npos ? imp : imp.substr(from + 1);
      if (!njs.files.count(file)) missing(njs, js_path, file);
    }
  }
  std::string bridge_addr;
  static const std::regex kUpstream("upstream\\s+epp_bridge\\s*\\{\\s*server\\s+([^;\\s]+)");
  std::smatch m;
  const std::string clean = StripComments(all);
  if (std::regex_search(clean, m, kUpstream)) bridge_addr = m[1].str();
  if (bridge_addr.empty() != !bridge.IsDefined()) {
    problem(bridge_addr.empty() ? "a bridge container, but nginx.conf does not use it"
                                : "nginx.conf uses the bridge at " + bridge_addr +
                                      ", but the Pod has no container " + bridge_container_);
    return;
  }
  if (!bridge.IsDefined()) return;
  const std::string listen = ContainerArgs::Value(bridge, "--listen").value_or("127.0.0.1:54800");
  if (listen != bridge_addr) {
    problem("NGINX reaches the bridge at " + bridge_addr + ", the bridge listens on " + listen);
  }
  std::string syslog;
  static const std::regex kSyslog("syslog:server=unix:([^,\\s;]+)");
  if (std::regex_search(clean, m, kSyslog)) syslog = m[1].str();
  const std::string socket = ContainerArgs::Value(bridge, "--completion-socket").value_or("");
  if (socket != syslog) {
    problem("the bridge's --completion-socket is \"" + socket +
            "\", NGINX's completion records go to \"" + syslog + "\"");
    return;
  }
  if (socket.empty()) return;
  const YAML::Node bm = PodVolumes::MountCovering(bridge, socket);
  const YAML::Node nm = PodVolumes::MountCovering(nginx, socket);
  if (!bm.IsDefined() || !nm.IsDefined() ||
      ScalarOr(At(bm, {"name"}), "") != ScalarOr(At(nm, {"name"}), "") ||
      ScalarOr(At(bm, {"mountPath"}), "") != ScalarOr(At(nm, {"mountPath"}), "")) {
    problem("the completion socket " + socket +
            " is not in one volume mounted at the same path in both containers");
    return;
  }
  if (ScalarOr(At(bm, {"readOnly"}), "") == "true")
    problem("the bridge's socket mount is read-only");
  const YAML::Node volume = PodVolumes::Volume(pod, ScalarOr(At(bm, {"name"}), ""));
  if (!At(volume, {"emptyDir"}).IsDefined()) {
    problem("the completion socket's volume is not an emptyDir");
  }
  const std::string fs_group = ScalarOr(At(pod, {"securityContext", "fsGroup"}), "");
  const std::string group = ContainerArgs::Value(bridge, "--completion-socket-group").value_or("");
  if (fs_group.empty()) {
    problem("no fsGroup: NGINX's workers may not be in the completion socket's group");
  } else if (!group.empty() && group != fs_group) {
    problem("--completion-socket-group " + group + " is not the Pod's fsGroup " + fs_group);
  }
  std::string user = ScalarOr(At(nginx, {"securityContext", "runAsUser"}), "");
  if (user.empty()) user = ScalarOr(At(pod, {"securityContext", "runAsUser"}), "");
  if (user.empty() || user == "0") {
    problem("NGINX may run as root: its workers would be nobody, outside the socket's group");
  }
}

}  // namespace eppb::render
