// Timing helpers shared by the suite and the runtime drivers.

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Milliseconds `fn` takes (awaited). */
export async function elapsed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
