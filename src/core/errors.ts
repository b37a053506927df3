/**
 * Who reads a message: the action's log, where the fix is a workflow's `with:` or `env:`, or a
 * person at the CLI, where it is a flag, a file or the shell.
 */
export type Audience = "action" | "cli";

/** What a CLI user is told instead, where the action's wording would speak of workflows. */
export interface CliWording {
  fix?: string;
  /** The flag in place of an action input, e.g. `--base` for `base-ref`. */
  field?: string;
}

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
  readonly cli?: CliWording;

  constructor(
    message: string,
    where: {
      file?: string;
      line?: number;
      field?: string;
      fix?: string;
      cause?: unknown;
      cli?: CliWording;
    } = {},
  ) {
    super(message, { cause: where.cause });
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
    this.fix = where.fix;
    this.cli = where.cli;
  }

  /** `file:line: field: message. fix` — the one-line form used in logs and the comment. */
  format(audience: Audience = "action"): string {
    const cli = audience === "cli" ? this.cli : undefined;
    const fieldName = cli?.field ?? this.field;
    const fixText = cli?.fix ?? this.fix;
    const place = this.file ? `${this.file}${this.line ? `:${this.line}` : ""}: ` : "";
    const field = fieldName ? `${fieldName}: ` : "";
    const fix = fixText ? ` ${fixText}` : "";
    return `${place}${field}${this.message}.${fix}`.replace(/([.?!])\.(\s|$)/, "$1$2");
  }
}

/** The variable that should hold the API key is empty: a missing secret, or a fork's PR. */
export class MissingKeyError extends UserError {
  constructor(
    readonly variable: string,
    fix: string,
    cli?: CliWording,
  ) {
    super(`${variable} is not set`, { field: "target.api_key_env", fix, ...(cli ? { cli } : {}) });
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

  format(audience: Audience = "action"): string {
    return this.errors.map((e) => e.format(audience)).join("\n");
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
export function describeError(e: unknown, audience: Audience = "action"): string {
  if (e instanceof UserError || e instanceof UserErrors) return e.format(audience);
  if (e instanceof Error) return e.message;
  return String(e);
}
