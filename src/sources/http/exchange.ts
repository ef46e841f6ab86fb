/** A whole answer: the response and its body, read to the end. */
export interface Answer {
  response: Response;
  text: string;
}

/** Why an exchange gave no whole answer, and whether it failed before the headers came or while the body did. */
export type ExchangeFailure =
  | { kind: 'aborted'; cause: unknown }
  | { kind: 'timeout' | 'network'; during: 'headers' | 'body'; reason: string; cause: unknown };

/**
 * One HTTP request and its whole body, bounded by `timeoutMs` from the request to the body's last byte:
 * a body that stalls after its headers fails as a timeout too. A failure is returned, not thrown; the
 * caller decides what to retry.
 */
export async function exchange(
  url: URL,
  init: Omit<RequestInit, 'signal'>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Answer | ExchangeFailure> {
  // NOTE: a controller and a timer held here, not AbortSignal.any([AbortSignal.timeout(…)]): the timeout signal
  // can be garbage-collected before it fires, and a stalled body then waits for undici's own 300 s.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs);
  const stop = () => deadline.abort(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  let during: 'headers' | 'body' = 'headers';
  try {
    if (signal?.aborted) stop();
    const response = await fetch(url, { ...init, signal: deadline.signal });
    during = 'body';
    return { response, text: await response.text() };
  } catch (error) {
    if (signal?.aborted) return { kind: 'aborted', cause: error };
    const timedOut = deadline.signal.aborted;
    return {
      kind: timedOut ? 'timeout' : 'network',
      during,
      reason: timedOut ? 'timeout' : networkReason(error),
      cause: error,
    };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
  }
}

/**
 * The socket-level reason of a fetch failure: the first error code in undici's `cause` chain (`ECONNREFUSED`,
 * `ECONNRESET`…), else the innermost message (`other side closed`).
 */
export function networkReason(error: unknown): string {
  let message = (error as Error).message;
  // SDKs wrap fetch's TypeError('fetch failed'), which wraps the socket error: walk down to the code.
  for (
    let e = error as { code?: unknown; cause?: unknown; message?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return e.code;
    if (typeof e.message === 'string') message = e.message;
  }
  return message;
}
