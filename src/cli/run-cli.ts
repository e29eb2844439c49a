/**
 * The wrapper every CLI entry point (`bench`, `compare`, ...) runs its `main` in, so that all of
 * them report errors and exit the same way.
 */
import { isUsageError } from './usage-error.js';
import { missingNodeFeatures } from './node-features.js';

/** Exit status of a command-line mistake ({@link UsageError}). */
const EXIT_USAGE = 2;
/** Exit status of any other failure. */
const EXIT_FAILURE = 1;

/**
 * Runs `main(process.argv.slice(2))` and sets `process.exitCode` to what it returns, after
 * checking that this Node has every feature the commands use (node-features.ts).
 *
 * If `main` throws, prints `vblk-mq: <message>` to stderr and exits at once (so that no worker
 * left behind keeps the process alive):
 * - a {@link UsageError}: that one line, exit status {@link EXIT_USAGE} (2), never a stack trace;
 * - anything else: the message, exit status {@link EXIT_FAILURE} (1); the stack trace follows
 *   only when the environment variable `VBLK_DEBUG` is set (non-empty).
 *
 * @param main The entry point's body: gets the arguments, resolves to an exit status.
 */
export async function runCli(main: (argv: string[]) => Promise<number>): Promise<void> {
  const missing = missingNodeFeatures();
  if (missing.length > 0) {
    const supported = 'Node.js 22, 24 or 26 (20.19 and later still work)';
    process.stderr.write(`vblk-mq: this Node.js (${process.version}) lacks ${missing.join(', ')}; use ${supported}\n`);
    process.exit(EXIT_FAILURE);
  }
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    const usage = isUsageError(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`vblk-mq: ${message}\n`);
    const debug = process.env['VBLK_DEBUG'];
    if (!usage && debug !== undefined && debug !== '' && error instanceof Error && error.stack !== undefined) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.exit(usage ? EXIT_USAGE : EXIT_FAILURE);
  }
}
