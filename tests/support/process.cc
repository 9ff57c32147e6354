#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace testing_support {

Process::Process(std::vector<std::string> argv, std::string log_path)
    : log_path_(std::move(log_path)) {
  // Truncated here, before the fork: a log reader (WaitForPort) must never
  // see what an earlier process wrote to the same path.
  int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  if (fd >= 0) close(fd);
}

Process::~Process() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string Process::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<std::string> Process::WaitForLog(const std::string& needle,
                                               std::chrono::milliseconds timeout) const {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    std::string log = Log();
    auto at = log.find(needle);
    if (at != std::string::npos) {
      auto eol = log.find('\n', at);
      return log.substr(at + needle.size(),
                        eol == std::string::npos ? std::string::npos : eol - at - needle.size());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

int Process::WaitForPort(std::chrono::milliseconds timeout) const {
  auto rest = WaitForLog("listening on ", timeout);
  if (!rest) return 0;
  std::smatch m;
  std::regex re(R"(^\S*:(\d+))");
  if (!std::regex_search(*rest, m, re)) return 0;
  return std::stoi(m[1]);
}

void Process::Signal(int sig) {
  if (pid_ > 0 && !reaped_) kill(pid_, sig);
}

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

RunResult RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  char path[] = "/tmp/epp-run-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  RunResult r;
  {
    Process p(argv, path);
    auto code = p.Wait(timeout);
    r.code = code.value_or(-1);
    r.output = p.Log();
  }
  unlink(path);
  return r;
}

}  // namespace testing_support
