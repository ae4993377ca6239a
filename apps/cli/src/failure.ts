import { HoistApiError, HoistNetworkError, HoistTimeoutError, HoistUsageError } from '@hoist/client';
import { Interrupted } from './terminal.js';

/** Why something the API was asked did not happen, in the words the CLI prints: a short code and a sentence. */
export interface Failure {
  /** The problem's code (`file-too-large`, `upload-not-found`), or `unreachable`, `timeout`, `invalid-input`, `interrupted`, `error`. */
  code: string;
  message: string;
  /** The HTTP status when the API answered with a problem. */
  status?: number;
}

/** What a rejection from the client means to the user: the API's problem (code and detail), no answer at all, or Ctrl-C. */
export function describeFailure(error: unknown): Failure {
  // ExitPromptError: Ctrl-C at one of `hoist login`'s questions.
  if (error instanceof Interrupted || (error instanceof Error && (error.name === 'AbortError' || error.name === 'ExitPromptError' || error.name === 'AbortPromptError'))) {
    return { code: 'interrupted', message: 'interrupted' };
  }
  if (error instanceof HoistApiError) return { code: error.code, message: error.detail || error.title, status: error.status };
  if (error instanceof HoistNetworkError) return { code: 'unreachable', message: error.message };
  if (error instanceof HoistTimeoutError) return { code: 'timeout', message: error.message };
  if (error instanceof HoistUsageError) return { code: 'invalid-input', message: error.message };
  return { code: 'error', message: error instanceof Error ? error.message : String(error) };
}

/** The API answered with a problem (a refusal), as opposed to not answering or an interruption. */
export const isRefusal = (failure: Failure) => failure.status !== undefined;
