/**
 * Refusals a {@link JobsBackend} may throw besides those of `jobs-backend.ts`, each carrying the HTTP status the REST
 * routes answer with (Flink's `{"errors": [message]}` body). The routes also honour any error with a numeric
 * `statusCode` between 400 and 499, so a backend needs no import of this file to refuse a request.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** No such job, vertex or request (404). */
export class NotFound extends HttpError {
  override name = 'NotFound';
  constructor(message: string) {
    super(404, message);
  }
}

/** A rule refuses the request, e.g. a job file outside the allowed directories (403); the message names the rule. */
export class Forbidden extends HttpError {
  override name = 'Forbidden';
  constructor(message: string) {
    super(403, message);
  }
}

/** The request does not fit the job's state, e.g. cancelling a job that has ended (409). */
export class Conflict extends HttpError {
  override name = 'Conflict';
  constructor(message: string) {
    super(409, message);
  }
}
