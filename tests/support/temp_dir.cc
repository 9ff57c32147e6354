#include "support/temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace testing_support {

TempDir::TempDir() {
  char tmpl[] = "/tmp/epp-test-XXXXXX";
  path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& content) const {
  std::string p = File(name);
  std::ofstream out(p, std::ios::binary);
  out << content;
  return p;
}

}  // namespace testing_support
