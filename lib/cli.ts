/**
 * How the project's command lines end: an error the user can fix (a bad setting, option, port or
 * file) is one clear message and a non-zero exit; anything else is a bug and keeps its stack.
 * Used by the CDK app (`bin/`) and the local CLIs (`npm start`, `simulate`, `pattern`, `query`,
 * `replay`, `routes`); it lives in
 * `lib/` because `bin/` may import only `lib/`.
 */

/**
 * Turns off the AWS SDK's notice, printed once per process on Node.js < 22, that SDK releases after
 * January 2027 will need Node.js 22. The project pins its SDK versions, which run on the Node.js 20
 * it supports for local use (Lambda runs Node.js 24); docs/local-mode.md says this once instead of
 * every `npm start` opening with a warning. A value the user set is kept.
 */
export function quietSdkNodeVersionNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** Exit status of a usage error (bad option or argument), as the CLIs document it. */
export const USAGE_EXIT_CODE = 2;
/** Exit status of a failure that is not a usage error, expected or not. */
export const FAILURE_EXIT_CODE = 1;

export interface UserErrorOptions {
  /** @default FAILURE_EXIT_CODE */
  readonly exitCode?: number;
  readonly cause?: unknown;
}

/**
 * An error the user made or can fix, whose message says what is wrong and how to fix it: printed
 * without a stack trace.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  readonly exitCode: number;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? FAILURE_EXIT_CODE;
  }
}

/** A usage error: a bad option or argument (exit status 2). */
export function usageError(message: string): UserError {
  return new UserError(message, { exitCode: USAGE_EXIT_CODE });
}

/** `node:util` `parseArgs` rejects unknown options and bad values with these codes. */
function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * What to print for an error that ended a command, and the exit status: the message alone for a
 * {@link UserError} or a `parseArgs` error, the stack for anything else.
 */
export function describeFailure(error: unknown): { text: string; exitCode: number } {
  if (error instanceof UserError) {
    return { text: error.message, exitCode: error.exitCode };
  }
  if (isParseArgsError(error)) {
    return { text: `${error.message}\nRun with --help for the options.`, exitCode: USAGE_EXIT_CODE };
  }
  if (error instanceof Error) {
    return { text: error.stack ?? `${error.name}: ${error.message}`, exitCode: FAILURE_EXIT_CODE };
  }
  return { text: `unexpected failure: ${String(error)}`, exitCode: FAILURE_EXIT_CODE };
}

export interface CliProcess {
  readonly stderr: (text: string) => void;
  /** Ends the process at once, so handles a failed start left open cannot keep it alive. */
  readonly exit: (code: number) => void;
  readonly setExitCode: (code: number) => void;
}

const realProcess: CliProcess = {
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/**
 * Runs a command's `main`. A returned number becomes the exit status (the process ends when its
 * work does, e.g. a server keeps running); a thrown error is printed as {@link describeFailure}
 * says and ends the process with its status.
 */
export async function runCli(
  main: () => number | undefined | Promise<number | undefined>,
  cliProcess: CliProcess = realProcess,
): Promise<void> {
  try {
    const code = await main();
    if (code !== undefined) cliProcess.setExitCode(code);
  } catch (error) {
    const { text, exitCode } = describeFailure(error);
    cliProcess.stderr(`${text}\n`);
    cliProcess.exit(exitCode);
  }
}
