// Watches the event loop while work runs: a timer every 10 ms records the longest gap between its
// ticks, which is how long the service would have left a ping (or any other call) unanswered.
export async function watchingTheLoop<T>(work: () => Promise<T>): Promise<{ value: T; worstGapMs: number }> {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 10);
  try {
    const value = await work();
    // The last stretch, from the final tick to the end of the work, counts too.
    worst = Math.max(worst, performance.now() - last);
    return { value, worstGapMs: worst };
  } finally {
    clearInterval(timer);
  }
}
