// The process-wide shutdown request: SIGINT/SIGTERM (or a test) request it once, and every long
// loop (retries, syncs, compactions, transfers) checks it so that a component stops within a
// second or two at any point of its life, like a cancelled root context in Thanos.
#pragma once

#include <cstdint>

namespace strata::shutdown {

// Blocks SIGINT/SIGTERM in the calling thread (and the threads it starts later) and starts the
// thread that handles them: until EnableGracefulStop, a signal ends the process at once (exit
// code 128+signal, as the default action would); after it, the first one requests shutdown and
// a second one ends the process. Call it first in main, before any other thread exists.
void HandleTerminationSignals();
// Long-running components call this once they can stop cleanly on a shutdown request.
void EnableGracefulStop();

// Requests shutdown; sig is what Signal() reports (0 when not a signal).
void Request(int sig);
bool Requested();
// The signal that requested shutdown, or 0.
int Signal();

// Sleeps up to ms; returns false (early) when shutdown is or gets requested.
bool SleepFor(int64_t ms);
// Blocks until shutdown is requested; returns Signal().
int Wait();

// Clears a request, for tests that request shutdown more than once in one process.
void ResetForTest();

}  // namespace strata::shutdown
