// LD_PRELOAD library for tests: the process's wall clock (CLOCK_REALTIME,
// gettimeofday, time) runs SIPCC_TEST_CLOCK_SHIFT_S seconds ahead; the
// monotonic clocks are left alone. A test uses it to put sofia-sip's
// millisecond counter where a bug of sofia's shows, whatever today's date
// (tests/e2e/sofia_timers_e2e_test.cpp).
#include <dlfcn.h>
#include <sys/time.h>

#include <cstdlib>
#include <ctime>

namespace {

long shift_s() {
  static const long shift = [] {
    const char* v = std::getenv("SIPCC_TEST_CLOCK_SHIFT_S");
    long s = v ? std::strtol(v, nullptr, 10) : 0;
    return s > 0 ? s : 0L;
  }();
  return shift;
}

template <typename Fn>
Fn real(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

int clock_gettime(clockid_t id, struct timespec* ts) noexcept {
  static const auto next = real<int (*)(clockid_t, struct timespec*)>("clock_gettime");
  const int rc = next(id, ts);
  if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
    ts->tv_sec += shift_s();
  return rc;
}

int gettimeofday(struct timeval* __restrict tv, void* __restrict tz) noexcept {
  static const auto next = real<int (*)(struct timeval*, void*)>("gettimeofday");
  const int rc = next(tv, tz);
  if (rc == 0)  // glibc declares tv nonnull
    tv->tv_sec += shift_s();
  return rc;
}

time_t time(time_t* out) noexcept {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  if (out)
    *out = ts.tv_sec;
  return ts.tv_sec;
}

}  // extern "C"
