// What the standalone C++ test programs share (they use no framework): check counters, CHECK,
// per-section verdicts and the summary line that gives the exit code.
#pragma once
#include <cstdio>

inline int g_checks = 0;
inline int g_failures = 0;
inline int g_section_start = 0;

// "name  ok" or "name  FAILED" for the checks since the previous section.
inline void section_done(const char* name) {
  std::printf("%-28s %s\n", name, g_failures == g_section_start ? "ok" : "FAILED");
  g_section_start = g_failures;
}

// Variadic so that braced initializers with commas need no extra parentheses.
#define CHECK(...)                                                       \
  do {                                                                   \
    ++g_checks;                                                          \
    if (!(__VA_ARGS__)) {                                                \
      ++g_failures;                                                      \
      std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #__VA_ARGS__); \
    }                                                                    \
  } while (0)

// Prints "N checks, M failures"; the program's exit code (0: all passed).
inline int checks_summary() {
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
