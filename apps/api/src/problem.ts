import { QueueUnavailableError, StoreUnavailableError, TempStorageUnavailableError } from '@hoist/core';

/**
 * RFC 9457 problem details. Every error the API returns is one of these, with
 * `Content-Type: application/problem+json`. `type` is a stable URN per kind of problem, listed in the README.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** An error that knows the problem it becomes. Throw it from a route; the error handler renders it. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail?: string,
    readonly extensions: Record<string, unknown> = {},
    /** Response headers that go with the problem (e.g. `retry-after`), set by the error handler. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }

  toProblem(instance: string | undefined): Problem {
    return {
      type: problemType(this.slug),
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export function problemType(slug: string): string {
  return `urn:hoist:problem:${slug}`;
}

/** A dependency (Postgres, Redis, temp storage) failed; the client may retry later. */
export class DependencyUnavailableError extends HttpProblem {
  constructor(dependency: string, cause: unknown) {
    super(503, 'service-unavailable', 'Service temporarily unavailable', `${dependency} is unavailable; try again shortly.`);
    this.cause = cause;
  }
}

/**
 * The one rule for a 503: the repositories, the queue and temp storage said their store could not be
 * reached (`StoreUnavailableError`, `QueueUnavailableError`, `TempStorageUnavailableError`). Anything else that goes wrong talking to them
 * is a bug — a query Postgres refuses, a broken invariant — and must be a 500 that gets fixed, not a
 * 503 that sends clients and on-call to wait for a healthy dependency.
 */
export function dependencyProblem(error: unknown): DependencyUnavailableError | undefined {
  if (error instanceof StoreUnavailableError) return new DependencyUnavailableError('The database', error);
  if (error instanceof QueueUnavailableError) return new DependencyUnavailableError('The job queue', error);
  if (error instanceof TempStorageUnavailableError) return new DependencyUnavailableError('Temporary storage', error);
  return undefined;
}

/**
 * What a client is told about a bug: that it happened, nothing of what (that goes to the log), and
 * the request id (`requestId`) that finds the logged error — the one thing worth quoting in a report.
 */
export function internalError(requestId?: string): HttpProblem {
  return new HttpProblem(500, 'internal-error', 'Internal error', 'Something went wrong on our side; it has been logged.', requestId ? { requestId } : {});
}

/** JSON schema of a problem document; extension members are allowed. */
export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  additionalProperties: true,
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
} as const;

/** Response schemas for error statuses, served as application/problem+json. */
export function problemResponses(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: 'Problem details (RFC 9457)', content: { 'application/problem+json': { schema: problemSchema } } }]),
  );
}
