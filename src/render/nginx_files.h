// The files the rendered nginx.conf needs beside it when a route goes to an
// InferencePool: deploy/nginx/epp-{http,server,proxy}.conf (in the
// configuration's directory) and njs/epp.js (in js_path). They are compiled
// into the binary (src/render/embed_files.cmake), so that render can give a
// workload that has no ConfigMaps for them the very files of its version.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace eppb::render {

struct EmbeddedFile {
  const char* name;
  const char* text;
};
extern const EmbeddedFile kEmbeddedNginxFiles[];
extern const size_t kEmbeddedNginxFileCount;

class NginxFiles {
 public:
  // The key that tells a ConfigMap of each kind.
  static constexpr const char* kEppConfKey = "epp-http.conf";
  static constexpr const char* kNjsKey = "epp.js";

  // epp-http.conf, epp-server.conf, epp-proxy.conf.
  static std::map<std::string, std::string> EppConf() { return Select(false); }
  // epp.js.
  static std::map<std::string, std::string> Njs() { return Select(true); }

 private:
  static std::map<std::string, std::string> Select(bool njs) {
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < kEmbeddedNginxFileCount; ++i) {
      const std::string name = kEmbeddedNginxFiles[i].name;
      if ((name == kNjsKey) == njs) out[name] = kEmbeddedNginxFiles[i].text;
    }
    return out;
  }
};

}  // namespace eppb::render
