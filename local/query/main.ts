/** Entry point of `npm run query` (see `cli.ts`): user errors as one message, bugs with their stack. */
import { runCli } from '#lib/cli';
import { runQueryCli } from './cli';

await runCli(() => runQueryCli(process.argv.slice(2)));
