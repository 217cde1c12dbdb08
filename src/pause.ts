/**
 * Waits `ms`, or less when `signal` aborts: backoffs (connection retries, lock polling, lock-timeout
 * retries) can be long, and Ctrl-C must not wait them out. Never rejects; callers check the signal.
 */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
