/**
 * The documentation holds together: every relative link and image in README.md and docs/**.md
 * (the generated docs/results/README.md included) names a file or folder that exists, inside
 * the repository; every `#anchor`, in the same file or in another .md file, names a heading
 * there, as GitHub anchors headings (lowercase, punctuation dropped, spaces to dashes, -1, -2
 * for repeats); links to other sites are not followed. README.md stays short enough to read in
 * one sitting (at most 400 lines), and links every page under docs/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from './helpers/commands.js';
import { docFiles, headingAnchors, links, readDoc } from './helpers/markdown.js';

/** The most lines README.md may have. */
const README_MAX_LINES = 400;

/** Why a link of `file` does not resolve, or undefined when it does. */
function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: ...
  const hash = target.indexOf('#');
  const pathPart = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? undefined : target.slice(hash + 1);
  const resolved =
    pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(pathPart)));
  if (resolved.startsWith('../') || path.posix.isAbsolute(resolved)) return 'points outside the repository';
  if (!fs.existsSync(path.join(REPO_ROOT, resolved))) return `${resolved} does not exist`;
  if (anchor === undefined || !resolved.endsWith('.md')) return undefined;
  return headingAnchors(readDoc(resolved)).has(anchor) ? undefined : `${resolved} has no heading #${anchor}`;
}

describe('links in README.md and docs/', () => {
  for (const file of docFiles({ generated: true })) {
    it(`${file}: every relative link and anchor resolves`, () => {
      const text = readDoc(file);
      const broken = links(text).flatMap(({ target, line }) => {
        const why = brokenLink(file, target);
        return why === undefined ? [] : [`${file}:${line}: (${target}) ${why}`];
      });
      expect(broken).toEqual([]);
    });
  }

  it('reads anchors as GitHub makes them', () => {
    const markdown = '# A b\n## `--explain`\n### mq/sq ratios, and charts\n## A b\n```\n# not one\n```\n';
    const anchors = headingAnchors(markdown);
    expect([...anchors]).toEqual(['a-b', '--explain', 'mqsq-ratios-and-charts', 'a-b-1']);
  });
});

describe('README.md', () => {
  const readme = readDoc('README.md');

  it(`fits in one sitting: at most ${README_MAX_LINES} lines`, () => {
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('links every page under docs/', () => {
    const linked = new Set(links(readme).map(({ target }) => target.split('#')[0]));
    const unlinked = docFiles({ generated: true }).filter((file) => file !== 'README.md' && !linked.has(file));
    expect(unlinked, 'pages a reader of the README cannot find').toEqual([]);
  });
});
