// Typed errors with a stable code and an HTTP status; the web edge turns them into JSON responses.

export interface FieldIssue {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, id: string) => new AppError(404, 'not_found', `${what} "${id}" not found`);

export const invalid = (issues: FieldIssue[]) =>
  new AppError(400, 'invalid', issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);

export const conflict = (message: string) => new AppError(409, 'conflict', message);
