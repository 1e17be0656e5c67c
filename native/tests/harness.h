// A minimal test harness: TEST(name) registers a function, CHECK* record failures and carry on,
// and main.cpp runs every test (or those whose name contains an argument) and prints
// "N passed, N failed". No framework, so the tests build anywhere the core builds.
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace asterism::test {

struct TestCase {
  const char* name;
  std::function<void()> body;
};

std::vector<TestCase>& registry();
// Records a failed check in the running test.
void fail(const char* file, int line, const std::string& what);

struct Registrar {
  Registrar(const char* name, std::function<void()> body) {
    registry().push_back({name, std::move(body)});
  }
};

template <typename A, typename B>
std::string describe(const char* expr, const A& a, const B& b) {
  std::ostringstream s;
  s.precision(10);
  s << expr << " (" << a << " vs " << b << ")";
  return s.str();
}

}  // namespace asterism::test

#define ASTERISM_CONCAT_INNER(a, b) a##b
#define ASTERISM_CONCAT(a, b) ASTERISM_CONCAT_INNER(a, b)

#define TEST(name)                                                                  \
  static void ASTERISM_CONCAT(test_, name)();                                       \
  static const ::asterism::test::Registrar ASTERISM_CONCAT(registrar_, name)(       \
      #name, ASTERISM_CONCAT(test_, name));                                         \
  static void ASTERISM_CONCAT(test_, name)()

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) ::asterism::test::fail(__FILE__, __LINE__, #cond);      \
  } while (0)

// Checks and, on failure, also prints a message built with <<.
#define CHECK_MSG(cond, msg)                                                       \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::ostringstream asterism_msg_;                                            \
      asterism_msg_ << #cond << ": " << msg;                                       \
      ::asterism::test::fail(__FILE__, __LINE__, asterism_msg_.str());             \
    }                                                                              \
  } while (0)

#define CHECK_EQ(a, b)                                                                      \
  do {                                                                                      \
    const auto& asterism_a_ = (a);                                                          \
    const auto& asterism_b_ = (b);                                                          \
    if (!(asterism_a_ == asterism_b_))                                                      \
      ::asterism::test::fail(__FILE__, __LINE__,                                            \
                             ::asterism::test::describe(#a " == " #b, asterism_a_,          \
                                                        asterism_b_));                      \
  } while (0)

#define CHECK_NEAR(a, b, tolerance)                                                         \
  do {                                                                                      \
    const double asterism_a_ = (a);                                                         \
    const double asterism_b_ = (b);                                                         \
    if (!(std::fabs(asterism_a_ - asterism_b_) <= (tolerance)))                             \
      ::asterism::test::fail(__FILE__, __LINE__,                                            \
                             ::asterism::test::describe(#a " ~= " #b " within " #tolerance, \
                                                        asterism_a_, asterism_b_));         \
  } while (0)
