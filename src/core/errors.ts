/**
 * A mistake in something the user wrote (config, set, inputs): shown as a clear message with the
 * place and the fix, never with a stack trace; the verdict is `error` and the CLI exits 2.
 */
export class UserError extends Error {
  override readonly name: string = "UserError";
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;
  readonly fix?: string;

  constructor(
    message: string,
    where: { file?: string; line?: number; field?: string; fix?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: where.cause });
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
    this.fix = where.fix;
  }

  /** `file:line: field: message. fix` — the one-line form used in logs and the comment. */
  format(): string {
    const place = this.file ? `${this.file}${this.line ? `:${this.line}` : ""}: ` : "";
    const field = this.field ? `${this.field}: ` : "";
    const fix = this.fix ? ` ${this.fix}` : "";
    return `${place}${field}${this.message}.${fix}`.replace(/([.?!])\.(\s|$)/, "$1$2");
  }
}

/** The variable that should hold the API key is empty: a missing secret, or a fork's PR. */
export class MissingKeyError extends UserError {
  constructor(
    readonly variable: string,
    fix: string,
  ) {
    super(`${variable} is not set`, { field: "target.api_key_env", fix });
  }
}

/**
 * A path that would read outside the repository: climbing out with `..`, an absolute path, git's
 * own folder, or a symbolic link that points out. Callers that know the config line re-raise it there.
 */
export class OutsideRepositoryError extends UserError {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`${path} ${why}`, {
      fix: "Name a file inside the repository, relative to the config file's folder, and not under .git.",
    });
  }
}

/** Several user errors found in one pass (e.g. every bad line of a set), reported together. */
export class UserErrors extends Error {
  override readonly name = "UserErrors";
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.format()).join("\n"));
  }
}

/** A provider or API fault that persisted through retries. Never a pass, never a fail. */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isUserError(e: unknown): e is UserError | UserErrors {
  return e instanceof UserError || e instanceof UserErrors;
}

/** Formats any thrown value for a person: user errors without a stack, others with their message. */
export function describeError(e: unknown): string {
  if (e instanceof UserError || e instanceof UserErrors)
    return e instanceof UserError ? e.format() : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
