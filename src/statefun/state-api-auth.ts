/**
 * Access control of the HTTP ingress's state API (`GET`/`PUT /statefun/state/...`). Those endpoints read and
 * overwrite any instance's state, so they are off unless the application configures a bearer token; requests must
 * then carry `Authorization: Bearer <token>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { PlanError } from '../core/errors.js';

/** Enables the state API. */
export interface StateApiOptions {
  /**
   * The bearer token requests must carry (`Authorization: Bearer <token>`), at least {@link MIN_TOKEN_LENGTH}
   * characters. Keep it out of source files and command lines (an environment variable or a secret store).
   */
  readonly token: string;
}

export const MIN_TOKEN_LENGTH = 16;

/** Checks the `stateApi` option; returns the options when the API is enabled, undefined when it is off. */
export function stateApiOptions(option: unknown): StateApiOptions | undefined {
  if (option === undefined || option === false) return undefined;
  const token = (option as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) {
    throw new PlanError(
      `http({ stateApi }) needs { token } with a secret of at least ${MIN_TOKEN_LENGTH} characters: the state ` +
        'API reads and overwrites any instance state (leave stateApi out to keep it off)',
    );
  }
  return { token };
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * A check of a request's `Authorization` header against `token`. The token is compared as SHA-256 digests with
 * `timingSafeEqual`: equal lengths whatever was sent, and no early exit that would tell how much of a guess matched.
 */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = sha256(token);
  return (authorization) => {
    // The scheme is case-insensitive (RFC 9110); the token is not.
    const given = /^bearer /i.test(authorization ?? '') ? authorization!.slice('Bearer '.length).trim() : '';
    // Compared even when nothing usable was sent, so that a missing header takes the same path.
    const same = timingSafeEqual(sha256(given), expected);
    return same && given !== '';
  };
}
