// A stand-in for libFuzzer's main, for compilers without libFuzzer (g++): runs
// LLVMFuzzerTestOneInput over the given files and folders, then over seeded random mutations
// of them, so a sanitizer build can run the fuzz targets on CI.
//
//   fuzz_detect_replay [--mutations N] [--seed S] [--max-len BYTES] [--artifact-prefix P] PATH...
//
// Each input is copied into a heap block of exactly its size, so AddressSanitizer catches
// reads past its end. When an input crashes the target (sanitizer report, abort, fatal signal),
// it is written to <artifact-prefix>crash-replay-<run> before the process dies, to be replayed
// with the same binary or with a libFuzzer build.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Provided by the sanitizer runtimes; null in a build without sanitizers.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

// Read by UBSan at start-up (UBSAN_OPTIONS still wins). With g++ the UBSan runtime does not run
// ASan's death callback, so a UB report must end in abort() for our SIGABRT handler to save the
// input.
extern "C" const char* __ubsan_default_options() { return "abort_on_error=1:print_stacktrace=1"; }

namespace {

using Bytes = std::vector<uint8_t>;

// The input being run, for the crash handlers.
const uint8_t* currentData = nullptr;
size_t currentSize = 0;
char crashPath[4096] = "";
volatile sig_atomic_t crashWritten = 0;

// Async-signal-safe: only open/write/close.
void writeCrashInput() {
  if (crashWritten || crashPath[0] == '\0') return;
  crashWritten = 1;
  const int fd = open(crashPath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  size_t done = 0;
  while (done < currentSize) {
    const ssize_t n = write(fd, currentData + done, currentSize - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  const char note[] = "\nreplay: the crashing input was written to ";
  (void)!write(2, note, sizeof note - 1);
  (void)!write(2, crashPath, strlen(crashPath));
  (void)!write(2, "\n", 1);
}

void onFatalSignal(int sig) {
  writeCrashInput();
  signal(sig, SIG_DFL);
  raise(sig);
}

void installCrashHandlers() {
  if (__sanitizer_set_death_callback != nullptr) {
    // The sanitizers report memory errors and UB themselves and then call us; abort() from a
    // failed invariant in the target still arrives as SIGABRT.
    __sanitizer_set_death_callback(writeCrashInput);
    signal(SIGABRT, onFatalSignal);
    return;
  }
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(sig, onFatalSignal);
}

// SplitMix64: a small, well-mixed generator whose sequence is the same on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }

 private:
  uint64_t state_;
};

// One random edit. The operations are the usual byte-level ones plus a few aimed at text
// headers such as FITS cards (ASCII numbers, interesting bytes).
void mutateOnce(Bytes& b, const std::vector<Bytes>& corpus, Rng& rng) {
  static const uint8_t interesting[] = {0,   1,   2,   0x7F, 0x80, 0xFF, 0xFE, ' ', '=', '\'',
                                        '/', '-', '+', '.',  'E',  'T',  '0',  '1', '9'};
  static const char* const numbers[] = {"0",  "1",   "-1", "8",   "16",  "32",   "-32",
                                        "64", "-64", "3",  "999", "1E9", "2147483648",
                                        "-2147483649", "99999999999999999999", "1.5", "NaN"};
  const size_t op = rng.below(10);
  if (b.empty() && op != 3 && op != 6) {
    b.push_back(static_cast<uint8_t>(rng.next()));
    return;
  }
  switch (op) {
    case 0:
      b[rng.below(b.size())] ^= static_cast<uint8_t>(1u << rng.below(8));
      break;
    case 1:
      b[rng.below(b.size())] = static_cast<uint8_t>(rng.next());
      break;
    case 2:
      b[rng.below(b.size())] = interesting[rng.below(sizeof interesting)];
      break;
    case 3: {
      const size_t at = rng.below(b.size() + 1);
      const size_t count = 1 + rng.below(8);
      for (size_t i = 0; i < count; ++i) {
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), static_cast<uint8_t>(rng.next()));
      }
      break;
    }
    case 4: {
      const size_t at = rng.below(b.size());
      const size_t count = 1 + rng.below(std::min<size_t>(64, b.size() - at));
      b.erase(b.begin() + static_cast<std::ptrdiff_t>(at),
              b.begin() + static_cast<std::ptrdiff_t>(at + count));
      break;
    }
    case 5: {
      const size_t from = rng.below(b.size());
      const size_t to = rng.below(b.size());
      const size_t count = 1 + rng.below(std::min(b.size() - from, b.size() - to));
      std::memmove(b.data() + to, b.data() + from, count);
      break;
    }
    case 6: {
      const Bytes& other = corpus[rng.below(corpus.size())];
      const size_t keep = rng.below(b.size() + 1);
      const size_t from = rng.below(other.size() + 1);
      b.resize(keep);
      b.insert(b.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
      break;
    }
    case 7:
      b.resize(rng.below(b.size() + 1));
      break;
    case 8: {
      const char* n = numbers[rng.below(sizeof numbers / sizeof numbers[0])];
      const size_t len = std::strlen(n);
      const size_t at = rng.below(b.size());
      for (size_t i = 0; i < len && at + i < b.size(); ++i) b[at + i] = static_cast<uint8_t>(n[i]);
      break;
    }
    default: {
      const size_t from = rng.below(b.size());
      const size_t count = 1 + rng.below(std::min<size_t>(128, b.size() - from));
      const Bytes chunk(b.begin() + static_cast<std::ptrdiff_t>(from),
                        b.begin() + static_cast<std::ptrdiff_t>(from + count));
      const size_t at = rng.below(b.size() + 1);
      b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), chunk.begin(), chunk.end());
      break;
    }
  }
}

void runOne(const Bytes& input) {
  // An exact-size heap copy: a read one byte past the end is an ASan report.
  uint8_t* copy = static_cast<uint8_t*>(std::malloc(input.empty() ? 1 : input.size()));
  if (!input.empty()) std::memcpy(copy, input.data(), input.size());
  currentData = copy;
  currentSize = input.size();
  LLVMFuzzerTestOneInput(copy, input.size());
  currentData = nullptr;
  currentSize = 0;
  std::free(copy);
}

bool readFile(const std::filesystem::path& path, Bytes& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

int usage() {
  std::fprintf(stderr,
               "usage: replay [--mutations N] [--seed S] [--max-len BYTES] "
               "[--artifact-prefix PREFIX] FILE_OR_DIR...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  long mutations = 0;
  uint64_t seed = 1;
  size_t maxLen = 0;
  std::string artifactPrefix;
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool hasValue = i + 1 < argc;
    if (arg == "--mutations" && hasValue) {
      mutations = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--seed" && hasValue) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--max-len" && hasValue) {
      maxLen = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--artifact-prefix" && hasValue) {
      artifactPrefix = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      return usage();
    } else {
      paths.emplace_back(arg);
    }
  }
  if (paths.empty()) return usage();

  std::vector<std::filesystem::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(p)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else if (std::filesystem::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
      return 2;
    }
  }
  std::sort(files.begin(), files.end());  // directory order differs between machines

  std::vector<Bytes> corpus;
  for (const auto& f : files) {
    Bytes b;
    if (!readFile(f, b)) {
      std::fprintf(stderr, "replay: cannot read %s\n", f.c_str());
      return 2;
    }
    corpus.push_back(std::move(b));
  }
  size_t largest = 0;
  for (const Bytes& b : corpus) largest = std::max(largest, b.size());
  if (maxLen == 0) maxLen = std::max<size_t>(4096, 2 * largest);

  installCrashHandlers();
  for (size_t i = 0; i < corpus.size(); ++i) {
    std::snprintf(crashPath, sizeof crashPath, "%scrash-replay-%s", artifactPrefix.c_str(),
                  files[i].filename().c_str());
    runOne(corpus[i]);
  }
  std::snprintf(crashPath, sizeof crashPath, "%scrash-replay-empty", artifactPrefix.c_str());
  runOne({});

  if (corpus.empty()) corpus.emplace_back();
  Rng rng(seed);
  for (long run = 0; run < mutations; ++run) {
    Bytes b = corpus[rng.below(corpus.size())];
    const size_t edits = 1 + rng.below(8);
    for (size_t e = 0; e < edits; ++e) mutateOnce(b, corpus, rng);
    if (b.size() > maxLen) b.resize(maxLen);
    std::snprintf(crashPath, sizeof crashPath, "%scrash-replay-seed%llu-run%ld",
                  artifactPrefix.c_str(), static_cast<unsigned long long>(seed), run);
    runOne(b);
  }
  std::printf("replay: %zu files and %ld mutations (seed %llu) ran without a crash\n",
              files.size(), mutations, static_cast<unsigned long long>(seed));
  return 0;
}
