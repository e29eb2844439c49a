/**
 * docs/locks.md cannot rot: its `js example` code blocks are complete programs, each run with
 * node from a temporary folder in which node_modules/vblk-mq links to this repository (so that
 * `vblk-mq/sync` resolves through the package's exports to dist/, as for an installed package);
 * each must exit 0 and print something (it asserts its own results with node:assert). And the
 * tables list every kind of LOCK_KINDS, with the bytes it takes.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first (`npm test` does).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LOCK_CLASSES, LOCK_KINDS } from '../dist/src/index.js';
import { makeTempDir, REPO_ROOT, runCommand, type TempDir } from './helpers/commands.js';

const DOC = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'locks.md'), 'utf8');
const EXAMPLES = [...DOC.matchAll(/^```js example\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
const EXAMPLE_TIMEOUT_MS = 30_000;

describe('docs/locks.md', () => {
  let temp: TempDir | undefined;

  beforeAll(() => {
    temp = makeTempDir('locks-doc');
    fs.mkdirSync(path.join(temp.path, 'node_modules'));
    fs.symlinkSync(REPO_ROOT, path.join(temp.path, 'node_modules', 'vblk-mq'), 'dir');
  });

  afterAll(() => temp?.remove());

  it('has a row for every lock kind', () => {
    for (const kind of LOCK_KINDS) expect(DOC).toContain(`| \`${kind}\` (`);
  });

  it('states the bytes of every lock kind, as LOCK_CLASSES has them', () => {
    const memory = DOC.slice(DOC.indexOf('## Memory'));
    for (const kind of LOCK_KINDS) expect(memory).toContain(`| \`${kind}\` | ${LOCK_CLASSES[kind].BYTES} |`);
  });

  it('has a runnable example', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(1);
  });

  it.each(EXAMPLES.map((code, i) => [i + 1, code] as const))(
    'example %i runs and exits 0',
    (n, code) => {
      const file = path.join(temp!.path, `locks-example-${n}.mjs`);
      fs.writeFileSync(file, code);
      const { stdout } = runCommand(process.execPath, [file], { cwd: temp!.path, timeoutMs: EXAMPLE_TIMEOUT_MS });
      expect(stdout.trim()).not.toBe('');
    },
    EXAMPLE_TIMEOUT_MS + 5_000,
  );
});
