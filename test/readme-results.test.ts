/**
 * README.md and docs/*.md quote only what a committed result file holds:
 *  - every fenced block that follows a `<!-- from docs/results/PATH -->` line is made of
 *    lines of that file, each as it stands there (trailing spaces aside);
 *  - every docs/results/ file they name exists;
 *  - no file under docs/ holds an absolute path of this machine (result files are portable).
 * It reads files only: the figures themselves are made by `npm run results`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from './helpers/commands.js';
import { docFiles, readDoc } from './helpers/markdown.js';

/** A quoted block: the doc it is in, the file it says it comes from, its lines, and where it starts. */
interface QuotedBlock {
  doc: string;
  file: string;
  lines: string[];
  line: number;
}

/** Each quoted block of a doc file. */
function quotedBlocks(doc: string): QuotedBlock[] {
  const lines = readDoc(doc).split('\n');
  const blocks: QuotedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const from = /^<!-- from (docs\/results\/[\w./-]+) -->$/.exec(lines[i]!.trim());
    if (from === null) continue;
    const open = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    const close = lines.findIndex((l, j) => j > open && l.startsWith('```'));
    expect(open, `${doc} line ${i + 1}: a quote marker with no block after it`).toBeGreaterThan(i);
    blocks.push({ doc, file: from[1]!, lines: lines.slice(open + 1, close), line: open + 1 });
  }
  return blocks;
}

/** Every file of a folder, recursively. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe('README.md and docs/ against docs/results/', () => {
  const blocks = docFiles().flatMap(quotedBlocks);

  it('quotes result files (the README, the main sweep)', () => {
    expect(blocks.filter((b) => b.doc === 'README.md').map((b) => b.file)).toContain(
      'docs/results/2cpu-spin-iodepth32.txt',
    );
  });

  for (const block of blocks) {
    it(`the block at ${block.doc} line ${block.line} stands in ${block.file}, line for line`, () => {
      const source = path.join(REPO_ROOT, block.file);
      expect(fs.existsSync(source), `${block.file} is not committed`).toBe(true);
      const held = new Set(
        fs
          .readFileSync(source, 'utf8')
          .split('\n')
          .map((l) => l.trimEnd()),
      );
      for (const line of block.lines.map((l) => l.trimEnd()).filter((l) => l !== '')) {
        expect(held.has(line), `${block.file} has no line ${JSON.stringify(line)}`).toBe(true);
      }
    });
  }

  it('names only result files that exist', () => {
    const named = new Set(
      docFiles().flatMap((doc) => [...readDoc(doc).matchAll(/docs\/results\/([\w./-]+\.\w+)/g)].map((m) => m[1]!)),
    );
    expect(named.size).toBeGreaterThan(0);
    for (const file of named) expect(fs.existsSync(path.join(REPO_ROOT, 'docs', 'results', file)), file).toBe(true);
  });

  it('keeps no absolute path of this machine in any file under docs/', () => {
    const local = [REPO_ROOT, os.homedir(), os.tmpdir()].filter((p) => p.length > 1);
    for (const file of filesUnder(path.join(REPO_ROOT, 'docs'))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const p of local) expect(text.includes(p), `${path.relative(REPO_ROOT, file)} holds ${p}`).toBe(false);
    }
  });
});
