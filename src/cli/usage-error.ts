/**
 * A mistake in what the user typed on the command line.
 *
 * {@link runCli} prints its message as one line, `vblk-mq: <message>`, with no stack trace,
 * and exits with status 2. The message names the option, quotes the value given and says
 * what is accepted, e.g. `--jobs: "8..1" is a reversed range; give low..high such as 1..8`.
 *
 * @see ./run-cli.ts
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  /** @param message One line; any line breaks in it are folded into spaces. */
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' ').trim());
  }
}

/**
 * Whether `error` is a {@link UsageError}, also when it comes from another copy of this module
 * (checked by name as well as by class).
 */
export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError || (error instanceof Error && error.name === 'UsageError');
}
