import { Interrupted } from './terminal.js';

/** Why something the API was asked did not happen, in the words the CLI prints: a short code and a sentence. */
export interface Failure {
  /** The problem's code (`file-too-large`, `upload-not-found`), or `unreachable`, `interrupted`, `error`. */
  code: string;
  message: string;
  /** The HTTP status when the API answered with a problem. */
  status?: number;
}

/** What a rejection from the client means to the user: the API's problem (code and detail), no answer at all, or Ctrl-C. */
export function describeFailure(error: unknown): Failure {
  // ExitPromptError: Ctrl-C at one of `hoist login`'s questions.
  if (error instanceof Interrupted || (error instanceof Error && (error.name === 'AbortError' || error.name === 'ExitPromptError' || error.name === 'AbortPromptError'))) return { code: 'interrupted', message: 'interrupted' };
  const problem = error as { name?: unknown; status?: unknown; code?: unknown; title?: unknown; detail?: unknown; message?: unknown };
  if (problem.name === 'HoistApiError' && typeof problem.status === 'number') {
    const message = typeof problem.detail === 'string' && problem.detail ? problem.detail : String(problem.title ?? problem.message);
    return { code: typeof problem.code === 'string' ? problem.code : `http-${problem.status}`, message, status: problem.status };
  }
  if (problem.name === 'HoistNetworkError') return { code: 'unreachable', message: String(problem.message) };
  return { code: 'error', message: error instanceof Error ? error.message : String(error) };
}

/** The API answered with a problem (a refusal), as opposed to not answering or an interruption. */
export const isRefusal = (failure: Failure) => failure.status !== undefined;
