// The clock a busy core actually runs at, measured: a chain of dependent
// integer adds and xors, each one cycle of latency on any x86-64 core of the
// last decade, so the chain runs one op per cycle whatever the core's width.
// Each repetition is short (about 2 ms) so that some fall between time slices
// when other processes share the core.
// /proc/cpuinfo's "cpu MHz" is in a VM the host's nominal rate, well below
// the boost clock a single busy core gets. Descheduling can only slow the
// chain, so the fastest of several short repetitions is the estimate.
// Used by bench/bench_table.mjs for the arithmetic limit.

function chain(n, seed) {
  let x = seed | 0;
  for (let i = 0; i < n; ++i) {
    x = (x + i) | 0;
    x = (x ^ 5) | 0;
  }
  return x;
}

/** Estimated clock in MHz: dependent ops per microsecond, best of `repetitions`. */
export function measureClockMhz({ iterations = 4_000_000, repetitions = 40 } = {}) {
  let sink = chain(1_000_000, 1);  // warm-up: optimized code before timing
  let best = 0;
  for (let r = 0; r < repetitions; ++r) {
    const t = performance.now();
    sink ^= chain(iterations, r);
    const us = (performance.now() - t) * 1e3;
    best = Math.max(best, (2 * iterations) / us);
  }
  if (sink === 0.5) console.log(sink);  // keeps the result alive
  return best;
}
