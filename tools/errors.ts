// The CLI's two failure kinds and how they reach the operator: one line on stderr and an exit status
// scripts can branch on (2 = the operator's input was wrong, 1 = wrangler or the environment failed).

export type ExitStatus = 1 | 2;

export class CliError extends Error {
  readonly exitStatus: ExitStatus;

  constructor(message: string, exitStatus: ExitStatus) {
    super(message);
    this.name = "CliError";
    this.exitStatus = exitStatus;
  }
}

/** Bad input: unknown command, flag, tenant or key; malformed values. Exit status 2. */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

/** wrangler could not be started, failed, or printed something we could not read. Exit status 1. */
export function wranglerError(message: string): CliError {
  return new CliError(message, 1);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Collapses whitespace so every error is exactly one line, whatever wrangler printed. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Runs an entry point and turns any failure into one stderr line and an exit status. Unexpected errors
 * print their message only: a stack trace is noise for an operator, and exit status 1 marks them.
 */
export async function runEntryPoint(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`error: ${oneLine(errorMessage(error)) || "unknown failure"}\n`);
    process.exitCode = error instanceof CliError ? error.exitStatus : 1;
  }
}
