/**
 * Runs a command's `main` in-process through `runCli` (`lib/cli.ts`), as its entry point does,
 * and captures what `runCli` would print and the exit status it would end with.
 */
import { type CliProcess, runCli } from '#lib/cli';

/** How a Node.js stack frame starts; a user error must print none. */
export const STACK_FRAME = /^ {4}at /m;

export interface CliOutcome {
  /** The status the process would exit with (0 when `main` returned nothing). */
  code: number;
  /** What `runCli` printed to stderr (the error message, or the stack of a bug). */
  stderr: string;
}

export async function runInProcess(
  main: () => number | undefined | Promise<number | undefined>,
): Promise<CliOutcome> {
  let stderr = '';
  let code = 0;
  let exited = false;
  const cliProcess: CliProcess = {
    stderr: (text) => {
      stderr += text;
    },
    exit: (status) => {
      exited = true;
      code = status;
    },
    setExitCode: (status) => {
      if (!exited) code = status;
    },
  };
  await runCli(main, cliProcess);
  return { code, stderr };
}
