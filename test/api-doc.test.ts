/**
 * docs/library.md lists the whole API: the names its "The whole API" section gives for each entry
 * point are exactly what that entry point exports (values and types alike), read from the
 * entry point's source, so that a name added or dropped on one side fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(import.meta.dirname, '..');

/** Every name an index file exports, from its `export { ... } from` and `export type { ... } from` lines. */
function exportedNames(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const names: string[] = [];
  for (const [, list] of text.matchAll(/export (?:type )?\{([^}]*)\} from/g)) {
    for (const item of list!.split(',')) {
      const name = item.replace(/^\s*type\s+/, '').trim();
      if (name !== '') names.push(name);
    }
  }
  return names.sort();
}

/** The backticked names of the table that follows "`entry`:" in the section "The whole API". */
function documentedNames(entry: string): string[] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'library.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## The whole API'), doc.indexOf('\n## ', doc.indexOf('## The whole API') + 1));
  const start = section.indexOf(`\`${entry}\`:`);
  const table = section.slice(start).split('\n\n')[1] ?? '';
  const names = table
    .split('\n')
    .slice(2)
    .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Za-z_]\w*)`/g)].map((m) => m[1]!));
  return names.sort();
}

describe("docs/library.md's list of the API", () => {
  it.each([
    ['vblk-mq/sync', 'src/sync/index.ts'],
    ['vblk-mq/ring', 'src/ring/index.ts'],
  ])('names exactly what %s exports', (entry, index) => {
    expect(documentedNames(entry)).toEqual(exportedNames(index));
  });
});
