/**
 * README.md and docs/*.md cannot rot (the examples live with the sections that explain them):
 *
 *  - every fenced code block whose info string is `js example` is a complete program: it is
 *    written to a temporary folder outside the repository as an .mjs file and run with node,
 *    and must exit with status 0 and print something (each example asserts its own results
 *    with node:assert). In that folder, node_modules/vblk-mq is a symbolic link to this
 *    repository, so `import ... from 'vblk-mq/sync'` goes through the package's `exports`
 *    to the compiled code in dist/, exactly as for an installed package;
 *  - every option of `npm run bench -- --help` is documented in docs/bench.md, and every
 *    `npm run bench -- ...` command in a shell block of those files is accepted by the bench's
 *    argument parser.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first (`npm test` does).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { benchHelpText, parseBenchArgs } from '../dist/src/cli/bench-args.js';
import { makeTempDir, REPO_ROOT, runCommand, type TempDir } from './helpers/commands.js';
import { docFiles, fencedBlocks, readDoc } from './helpers/markdown.js';

/** Where every bench option is documented. */
const BENCH_DOC = 'docs/bench.md';
/** Each example gets this long; they take well under a second on two cores. */
const EXAMPLE_TIMEOUT_MS = 30_000;
/** The docs have at least this many examples; fewer means the extraction broke. */
const MIN_EXAMPLES = 10;

const blocks = docFiles().flatMap((file) => fencedBlocks(file, readDoc(file)));
const examples = blocks.filter(
  (b) => ['js', 'javascript', 'mjs'].includes(b.info[0] ?? '') && b.info.includes('example'),
);

describe('examples in README.md and docs/', () => {
  let temp: TempDir | undefined;

  beforeAll(() => {
    if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'src', 'index.js'))) {
      throw new Error('dist/ is missing: build with `npx tsc -p tsconfig.json` (or run `npm test`)');
    }
    temp = makeTempDir('readme');
    fs.mkdirSync(path.join(temp.path, 'node_modules'));
    fs.symlinkSync(REPO_ROOT, path.join(temp.path, 'node_modules', 'vblk-mq'), 'dir');
  });

  afterAll(() => {
    temp?.remove();
  });

  it(`has at least ${MIN_EXAMPLES} runnable examples, a few of them in the README`, () => {
    expect(examples.length).toBeGreaterThanOrEqual(MIN_EXAMPLES);
    expect(examples.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(3);
  });

  it.each(examples.map((b, i) => [i + 1, b.file, b.line, b.heading, b] as const))(
    'example %i (%s line %i, "%s") runs and exits 0',
    (n, _file, _line, _heading, block) => {
      const file = path.join(temp!.path, `example-${n}.mjs`);
      fs.writeFileSync(file, block.code);
      const { stdout } = runCommand(process.execPath, [file], { cwd: temp!.path, timeoutMs: EXAMPLE_TIMEOUT_MS });
      expect(stdout.trim(), 'an example prints what it found').not.toBe('');
    },
    EXAMPLE_TIMEOUT_MS + 5_000,
  );
});

describe('the docs and the bench command line', () => {
  const benchDoc = readDoc(BENCH_DOC);

  it(`documents every option of \`npm run bench -- --help\` in ${BENCH_DOC}`, () => {
    const options = [...benchHelpText().matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!);
    expect(options.length).toBeGreaterThan(10);
    const missing = options.filter((option) => !benchDoc.includes(`\`${option}`));
    expect(missing, `options of --help that ${BENCH_DOC} does not mention as \`--option ...\``).toEqual([]);
  });

  it('shows only `npm run bench` commands that the bench accepts', () => {
    const commands = blocks
      .filter((b) => ['sh', 'bash', 'shell', 'console'].includes(b.info[0] ?? ''))
      .flatMap((b) => b.code.split('\n'))
      .map((line) => /npm run bench -- (.*)$/.exec(line.replace(/\s+#.*$/, ''))?.[1])
      .filter((args): args is string => args !== undefined);
    expect(commands.length).toBeGreaterThan(0);
    for (const args of commands) {
      // Plenty of cores, so that `--cpus` values are judged on syntax, not on this machine.
      expect(() => parseBenchArgs(args.trim().split(/\s+/), { cores: 64, cwd: REPO_ROOT }), args).not.toThrow();
    }
  });
});
