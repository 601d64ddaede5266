/**
 * How engine failures become API errors (shared/api.ts ApiError): an ApiFailure carries its own code
 * (forbidden, not-found, bad-request), a UserError is the user's to fix ('user'), an aborted call is
 * 'cancelled', and anything else is an engine bug: 'internal' with a generic one-line message, its stack
 * logged on stderr (never sent to the client).
 */
import type { ApiError, ApiErrorCode } from '../../shared/api';
import { isUserError } from '../errors';

export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly code: Exclude<ApiErrorCode, 'internal' | 'cancelled'>,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string): ApiFailure => new ApiFailure('bad-request', message);

/** First line of a message, at most `max` characters. */
export function oneLine(s: string, max = 300): string {
  const line = s.split('\n')[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The client's view of `e`; `log` receives the stack of unexpected errors. */
export function toApiError(e: unknown, aborted: boolean, log: (text: string) => void): ApiError {
  if (aborted) return { code: 'cancelled', message: 'cancelled' };
  if (e instanceof ApiFailure) return { code: e.code, message: oneLine(e.message) };
  if (isUserError(e)) return { code: 'user', message: oneLine(e.message) };
  const msg = e instanceof Error ? e.message : String(e);
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  return { code: 'internal', message: `internal error: ${oneLine(msg, 200)}` };
}
