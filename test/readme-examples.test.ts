/**
 * README.md cannot rot:
 *
 *  - every fenced code block whose info string is `js example` is a complete program: it is
 *    written to a temporary folder outside the repository as an .mjs file and run with node,
 *    and must exit with status 0 and print something (each example asserts its own results
 *    with node:assert). In that folder, node_modules/vblk-mq is a symbolic link to this
 *    repository, so `import ... from 'vblk-mq/sync'` goes through the package's `exports`
 *    to the compiled code in dist/, exactly as for an installed package;
 *  - every option of `npm run bench -- --help` is documented, and every `npm run bench -- ...`
 *    command in a shell block of the README is accepted by the bench's argument parser.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first (`npm test` does).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { benchHelpText, parseBenchArgs } from '../dist/src/cli/bench-args.js';
import { makeTempDir, REPO_ROOT, runCommand, type TempDir } from './helpers/commands.js';

const README = path.join(REPO_ROOT, 'README.md');
/** Each example gets this long; they take well under a second on two cores. */
const EXAMPLE_TIMEOUT_MS = 30_000;
/** The README has at least this many examples; fewer means the extraction broke. */
const MIN_EXAMPLES = 5;

/** A fenced code block of the README. */
interface CodeBlock {
  /** Words of the info string, e.g. ['js', 'example']. */
  info: string[];
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above it. */
  heading: string;
}

/** The fenced (```) code blocks of a Markdown text, in order. */
function fencedBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const title = /^#{1,6}\s+(.*)$/.exec(line);
    if (title !== null) {
      heading = title[1]!.trim();
      continue;
    }
    const open = /^(`{3,})(.*)$/.exec(line);
    if (open === null) continue;
    const fence = open[1]!;
    const info = open[2]!.trim().split(/\s+/).filter(Boolean);
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i]!.startsWith(fence) && lines[i]!.trim() === fence); i++)
      body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`README.md: the code block opened at line ${start + 1} is never closed`);
    blocks.push({ info, code: `${body.join('\n')}\n`, line: start + 1, heading });
  }
  return blocks;
}

const blocks = fencedBlocks(fs.readFileSync(README, 'utf8'));
const examples = blocks.filter(
  (b) => ['js', 'javascript', 'mjs'].includes(b.info[0] ?? '') && b.info.includes('example'),
);

describe('README.md examples', () => {
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

  it(`has at least ${MIN_EXAMPLES} runnable examples`, () => {
    expect(examples.length).toBeGreaterThanOrEqual(MIN_EXAMPLES);
  });

  it.each(examples.map((b, i) => [i + 1, b.line, b.heading, b] as const))(
    'example %i (line %i, "%s") runs and exits 0',
    (n, _line, _heading, block) => {
      const file = path.join(temp!.path, `example-${n}.mjs`);
      fs.writeFileSync(file, block.code);
      const { stdout } = runCommand(process.execPath, [file], { cwd: temp!.path, timeoutMs: EXAMPLE_TIMEOUT_MS });
      expect(stdout.trim(), 'an example prints what it found').not.toBe('');
    },
    EXAMPLE_TIMEOUT_MS + 5_000,
  );
});

describe('README.md and the bench command line', () => {
  const readme = fs.readFileSync(README, 'utf8');

  it('documents every option of `npm run bench -- --help`', () => {
    const options = [...benchHelpText().matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!);
    expect(options.length).toBeGreaterThan(10);
    const missing = options.filter((option) => !readme.includes(`\`${option}`));
    expect(missing, 'options of --help that README.md does not mention as `--option ...`').toEqual([]);
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
