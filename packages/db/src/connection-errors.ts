import { StoreUnavailableError } from '@hoist/core';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
// SQLSTATE: admin/crash shutdown, cannot connect now, too many connections, read-only transaction
// (connected to a standby after a failover: writes will work again once it's promoted), and a lock
// wait that ran out (lock_not_available: a hung holder, see tenant-lock.ts).
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '25006', '55P03']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i;

/** True when `error` says Postgres could not be reached or went away, not that the query was wrong. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))) return true;
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  return UNAVAILABLE_MESSAGES.test(error.message);
}

/** StoreUnavailableError for "Postgres is unreachable"; any other error as it is (and one already translated stays so). */
export function toStoreError(error: unknown): unknown {
  return isConnectionError(error) && !(error instanceof StoreUnavailableError) ? new StoreUnavailableError(error) : error;
}
