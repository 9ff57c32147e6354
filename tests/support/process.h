// Runs a child process for black-box tests: output goes to a log file that
// the test can search; the child is killed when the object dies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace testing_support {

class Process {
 public:
  Process(std::vector<std::string> argv, std::string log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  std::string Log() const;
  // Waits until the log matches `needle`; returns the text after it up to the end of line.
  std::optional<std::string> WaitForLog(const std::string& needle,
                                        std::chrono::milliseconds timeout) const;
  // "… listening on ADDR:PORT …" → PORT.
  int WaitForPort(std::chrono::milliseconds timeout = std::chrono::seconds(15)) const;
  void Signal(int sig);
  // Exit status, or nullopt when it did not exit in time.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  bool reaped_ = false;
};

// Runs a command to completion and returns its exit code and output.
struct RunResult {
  int code = -1;
  std::string output;
};
RunResult RunCommand(const std::vector<std::string>& argv,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace testing_support
