/**
 * A result file named on the command line: read and checked, with every
 * problem reported as a usage error (exit status 2, one line).
 */
import { loadResultFile, ResultFileError, type ReadResultOptions } from '../report/result-file.js';
import type { ResultFile } from '../report/result.js';
import { UsageError } from './usage-error.js';

/** loadResultFile, with its ResultFileError turned into a UsageError. */
export async function loadResultFileArg(path: string, options: ReadResultOptions): Promise<ResultFile> {
  try {
    return await loadResultFile(path, options);
  } catch (error) {
    if (error instanceof ResultFileError) throw new UsageError(error.message);
    throw error;
  }
}
