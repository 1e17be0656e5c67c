// Runs the registered tests. Arguments, if any, select tests whose names contain one of them.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>

#include "harness.h"

namespace asterism::test {

namespace {
int failuresInCurrentTest = 0;
}

std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

void fail(const char* file, int line, const std::string& what) {
  ++failuresInCurrentTest;
  std::printf("    %s:%d: CHECK failed: %s\n", file, line, what.c_str());
}

}  // namespace asterism::test

int main(int argc, char** argv) {
  using namespace asterism::test;
  int passed = 0, failed = 0;
  for (const TestCase& t : registry()) {
    bool selected = argc < 2;
    for (int i = 1; i < argc && !selected; ++i) selected = std::strstr(t.name, argv[i]) != nullptr;
    if (!selected) continue;
    failuresInCurrentTest = 0;
    const auto start = std::chrono::steady_clock::now();
    try {
      t.body();
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    } catch (...) {
      fail(__FILE__, __LINE__, "uncaught non-standard exception");
    }
    const double ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start).count();
    const bool ok = failuresInCurrentTest == 0;
    std::printf("%s %s (%.1f ms)\n", ok ? "PASS" : "FAIL", t.name, ms);
    (ok ? passed : failed) += 1;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
