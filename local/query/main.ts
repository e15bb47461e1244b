/** Entry point of `npm run query` (see `cli.ts`). */
import { runQueryCli } from './cli';

runQueryCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`query failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
