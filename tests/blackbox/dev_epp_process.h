// What every black-box test starts with: a dev-epp as a child process on a
// free loopback port, and the control headers that point the bridge at it.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace testing_support {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct DevEppProcess {
  std::unique_ptr<Process> process;
  int port = 0;  // 0 when it did not start listening (its log says why)
};

// `endpoints`: the pool it picks from; `extra`: more dev-epp flags. Logs to
// epp.log in `dir`.
inline DevEppProcess StartDevEpp(const std::string& bin, const TempDir& dir,
                                 const std::string& endpoints,
                                 const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{bin,           "dev-epp",     "--listen",
                                "127.0.0.1:0", "--endpoints", endpoints};
  argv.insert(argv.end(), extra.begin(), extra.end());
  DevEppProcess epp;
  epp.process = std::make_unique<Process>(argv, dir.File("epp.log"));
  epp.port = epp.process->WaitForPort();
  return epp;
}

// The request NGF's epp.js sends the bridge: the EPP's address, a JSON body.
inline Headers EppHeaders(int epp_port, const Headers& extra = {}) {
  Headers h{{"X-EPP-Host", "127.0.0.1"},
            {"X-EPP-Port", std::to_string(epp_port)},
            {"Content-Type", "application/json"}};
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

}  // namespace testing_support
