/** An abort signal that fires once nothing has happened for a while. */
export interface ProgressDeadline {
  /** Aborts `ms` after the last {@link touch} (or the start). */
  readonly signal: AbortSignal;
  /** Something happened (a piece of the body went out): the wait starts again. */
  readonly touch: () => void;
  /** Done: the signal will not fire. */
  readonly clear: () => void;
}

/**
 * A deadline that moves with progress. The SDK's own timeout runs from the start of a request to
 * its answer's headers, so it would count the time spent sending the file too, and cut a large
 * upload on a slow link short; this one fires only when no byte of the body has gone out for `ms`
 * and, once the body is sent, when the answer takes longer than `ms`.
 */
export function progressDeadline(ms: number): ProgressDeadline {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), ms);
  return {
    signal: controller.signal,
    touch: () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(), ms);
    },
    clear: () => clearTimeout(timer),
  };
}
