/**
 * An error caused by the user's input (a bad file, an impossible option). Its message is shown as is: one
 * line that says what is wrong and what to do. The CLI exits with code 2 on it and prints no stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
