// error.h — the one exception type of the kernel core.
// The Python bindings translate ErrorKind to TypeError / ValueError / RuntimeError / IndexError, so the core can say
// what kind of mistake the caller made without knowing about Python.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace fastnn {

enum class ErrorKind { Type, Value, Runtime, Index };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

template <class... Args>
std::string str_cat(Args&&... args) {
  std::ostringstream s;
  (s << ... << std::forward<Args>(args));
  return s.str();
}

template <class... Args>
[[noreturn]] void fail(ErrorKind kind, Args&&... args) {
  throw Error(kind, str_cat(std::forward<Args>(args)...));
}

}  // namespace fastnn
