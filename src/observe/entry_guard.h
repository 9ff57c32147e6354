// The boundary of every entry point of ours: strand handlers, gRPC reactor
// callbacks, listeners' accept and receive handlers, worker threads. An
// exception thrown below it is caught here, logged, counted as
// epp_bridge_internal_errors_total{where}, and never reaches the executor or
// gRPC (where it would end the process or be swallowed with the answer).
#pragma once

#include <exception>

namespace eppb {

// Logs (rate-limited) and counts one exception caught at `where`. Never throws.
void ReportEscapedException(const char* where, const char* what) noexcept;

// Runs `body`; if it throws, reports it and runs `on_error` (which should
// answer or close whatever `body` was responsible for).
template <class Body, class OnError>
void Guarded(const char* where, Body&& body, OnError&& on_error) noexcept {
  try {
    body();
    return;
  } catch (const std::exception& e) {
    ReportEscapedException(where, e.what());
  } catch (...) {
    ReportEscapedException(where, "unknown exception");
  }
  try {
    on_error();
  } catch (...) {
    ReportEscapedException(where, "exception while handling an exception");
  }
}

template <class Body>
void Guarded(const char* where, Body&& body) noexcept {
  Guarded(where, body, [] {});
}

}  // namespace eppb
