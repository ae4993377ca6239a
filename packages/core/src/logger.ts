/** The slice of pino's interface the domain logs through, so core needs no logging library. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  /** The fields every line of this logger carries (pino has it; see bindLogger). */
  bindings?(): Record<string, unknown>;
}
