/**
 * The documentation's relative links lead somewhere: every `[text](path#anchor)` in the README and
 * docs/ names a file of the repository and, when it has one, a heading of that file (GitHub's
 * anchor rule: lower case, punctuation dropped, spaces as hyphens, `-1`, `-2`, … for a repeated
 * heading); and no page has two sections of one name (issue #10: one home for each idea).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const documents = ['README.md', ...readdirSync(path.join(root, 'docs')).map((name) => `docs/${name}`)].filter(
  (file) => file.endsWith('.md'),
);

/** GitHub's anchor for a heading. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');
}

function headingsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => match[1] ?? '');
}

/** The anchors of a page's headings; a repeated one gets `-1`, `-2`, … as on GitHub. */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  return new Set(
    headingsOf(file).map((heading) => {
      const anchor = anchorOf(heading);
      const count = seen.get(anchor) ?? 0;
      seen.set(anchor, count + 1);
      return count === 0 ? anchor : `${anchor}-${count}`;
    }),
  );
}

function linksOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z]+:/i.test(target));
}

describe('documentation links', () => {
  it('finds the README and the docs pages', () => {
    expect(documents).toContain('README.md');
    expect(documents).toContain('docs/operations.md');
  });

  for (const file of documents) {
    it(`${file}: names each section once (one home for each idea, issue #10)`, () => {
      const anchors = headingsOf(file).map(anchorOf);
      expect(anchors.filter((anchor, index) => anchors.indexOf(anchor) !== index)).toEqual([]);
    });

    it(`${file}: every relative link names an existing file and heading`, () => {
      for (const target of linksOf(file)) {
        const [relative = '', anchor] = target.split('#');
        const resolved = relative === '' ? file : path.normalize(path.join(path.dirname(file), relative));
        expect(existsSync(path.join(root, resolved)), `${file} → ${target}`).toBe(true);
        if (anchor && resolved.endsWith('.md')) {
          expect([...anchorsOf(resolved)], `${file} → ${target}`).toContain(anchor);
        }
      }
    });
  }
});
