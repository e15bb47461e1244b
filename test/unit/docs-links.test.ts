/**
 * The documentation's relative links lead somewhere: every `[text](path#anchor)` in the README and
 * docs/ names a file of the repository and, when it has one, a heading of that file (GitHub's
 * anchor rule: lower case, punctuation dropped, spaces as hyphens).
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

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1] ?? '')));
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
