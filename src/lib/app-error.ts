/** An error a user can understand: a status, a stable code, and a message key for t(). */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly messageKey: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(code);
  }
}
