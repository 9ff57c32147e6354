#include "render/nginx_files.h"

namespace eppb::render {

namespace {

std::map<std::string, std::string> Select(bool njs) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < kEmbeddedNginxFileCount; ++i) {
    const std::string name = kEmbeddedNginxFiles[i].name;
    if ((name == NginxFiles::kNjsKey) == njs) out[name] = kEmbeddedNginxFiles[i].text;
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> NginxFiles::EppConf() { return Select(false); }

std::map<std::string, std::string> NginxFiles::Njs() { return Select(true); }

}  // namespace eppb::render
