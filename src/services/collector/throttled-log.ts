// A log for failures that repeat (a store that is down, a full disk): at most one line per
// interval, the rest dropped, so the log stays readable.

/** Wraps `log` so that it writes at most one line per `everyMs`. */
export function throttledLog(log: (message: string) => void, everyMs = 10_000): (message: string) => void {
  let last = -Infinity;
  return (message) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    log(message);
  };
}
