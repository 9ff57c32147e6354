// The bridge out of file descriptors: connections beyond RLIMIT_NOFILE wait
// in the listen queue while the accept loops pause (no busy loop, a few log
// lines), and the bridge serves again once descriptors are free.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "dev_epp_process.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace {

using testing_support::HttpClient;
using testing_support::Process;
using testing_support::TempDir;

const std::string kBin = EPP_BRIDGE_BIN;

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// CPU seconds (user + system) the process has used.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state … cmajflt
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(FdExhaustion, AcceptLoopsPauseAndLogLittleThenServeAgain) {
  TempDir dir;
  auto epp = testing_support::StartDevEpp(kBin, dir, "127.0.0.1:8001");
  const int epp_port = epp.port;
  ASSERT_GT(epp_port, 0) << epp.process->Log();
  // 64 descriptors: enough to start, far fewer than the connections below.
  Process bridge({"/bin/sh", "-c",
                  "ulimit -n 64 && exec \"$0\" serve --listen 127.0.0.1:0 --admin-listen "
                  "127.0.0.1:0 --threads 1 --endpoint-picker-disable-tls",
                  kBin},
                 dir.File("bridge.log"));
  const int port = bridge.WaitForPort();
  ASSERT_GT(port, 0) << bridge.Log();
  auto admin = bridge.WaitForLog("admin listening on 127.0.0.1:", std::chrono::seconds(10));
  ASSERT_TRUE(admin) << bridge.Log();
  const int admin_port = std::stoi(*admin);

  std::vector<int> fds;
  for (int i = 0; i < 150; ++i) {
    int fd = Connect(i % 5 == 0 ? admin_port : port);
    ASSERT_GE(fd, 0) << "connection " << i;
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the bridge runs out now
  const double cpu_before = CpuSeconds(bridge.pid());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const double cpu = CpuSeconds(bridge.pid()) - cpu_before;
  const std::string log = bridge.Log();
  EXPECT_GE(Count(log, "accept-failed"), 1) << log.substr(0, 2000);
  EXPECT_LE(Count(log, "accept-failed"), 10) << log.substr(0, 2000);
  EXPECT_LT(Count(log, "\n"), 40) << log.substr(0, 2000);
  EXPECT_LT(cpu, 1.0) << "CPU seconds spent in 3 s out of descriptors";

  for (int fd : fds) close(fd);
  // Descriptors come back as the bridge sees the closes; then it serves again.
  testing_support::HttpResult r;
  for (int i = 0; i < 50 && r.status != 200; ++i) {
    HttpClient client(port, std::chrono::seconds(5));
    r = client.Send("POST", "/", testing_support::EppHeaders(epp_port), R"({"model":"demo"})");
    if (r.status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(r.status, 200) << r.body << r.error << bridge.Log().substr(0, 2000);
  EXPECT_EQ(r.Header("X-Gateway-Destination-Endpoint"), "127.0.0.1:8001");
  HttpClient metrics(admin_port, std::chrono::seconds(5));
  EXPECT_EQ(metrics.Send("GET", "/healthz", {}).status, 200);
}

}  // namespace
