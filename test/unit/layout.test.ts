/**
 * The project's rooms and the directions between them (docs/development.md, "Project layout"):
 * `bin → lib → lambdas`, `local → lib, lambdas`; tests, benchmarks and scripts may use anything.
 * An import that leaves its room, or climbs more than one level inside it, goes through a
 * `package.json` `imports` alias (`#lib/…`, `#lambdas/…`), so a file can move without rewriting
 * `../../` chains and a wrong direction is visible in the import itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROOMS = ['bin', 'lib', 'lambdas', 'local', 'test', 'bench', 'scripts'] as const;
type Room = (typeof ROOMS)[number];

/** Which rooms each room may import from (its own included). */
const MAY_IMPORT: Record<Room, readonly Room[]> = {
  bin: ['bin', 'lib'],
  lib: ['lib', 'lambdas'],
  lambdas: ['lambdas'],
  local: ['local', 'lib', 'lambdas'],
  test: ROOMS,
  bench: ROOMS,
  scripts: ROOMS,
};

const SPECIFIER =
  /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+|vi\.(?:mock|doMock|importActual)(?:<[^>]*>)?\(\s*)['"]([^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

interface Import {
  file: string;
  specifier: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(SPECIFIER)].map((match) => ({ file, specifier: match[1] as string }));
}

const roomOf = (file: string): Room => file.split(/[\\/]/)[0] as Room;

const ALL = ROOMS.flatMap((room) => sourceFiles(room)).flatMap(importsOf);

describe('project layout', () => {
  it('finds the imports it checks', () => {
    // A regex that matched nothing would make every check below pass.
    expect(ALL.filter((entry) => entry.specifier.startsWith('#')).length).toBeGreaterThan(100);
    expect(ALL.filter((entry) => entry.specifier.startsWith('.')).length).toBeGreaterThan(100);
  });

  it('declares one alias per room, each pointing at that room', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      imports: Record<string, string>;
    };
    expect(pkg.imports).toEqual(Object.fromEntries(ROOMS.map((room) => [`#${room}/*`, `./${room}/*.ts`])));
  });

  it('keeps relative imports inside their room and at most one level up', () => {
    const offenders = ALL.filter(({ file, specifier }) => {
      if (!specifier.startsWith('.')) return false;
      const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier));
      return roomOf(target) !== roomOf(file) || specifier.startsWith('../../');
    });
    expect(offenders).toEqual([]);
  });

  it('resolves every alias to a file', () => {
    const missing = ALL.filter(({ specifier }) => specifier.startsWith('#')).filter(({ specifier }) => {
      try {
        readFileSync(path.join(ROOT, `${specifier.slice(1)}.ts`));
        return false;
      } catch {
        return true;
      }
    });
    expect(missing).toEqual([]);
  });

  it('imports only in the allowed directions: bin → lib → lambdas, local → lib and lambdas', () => {
    const wrong = ALL.filter(({ file, specifier }) => {
      const target = specifier.startsWith('#')
        ? (specifier.slice(1).split('/')[0] as Room)
        : specifier.startsWith('.')
          ? roomOf(path.relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier)))
          : undefined;
      return target !== undefined && !MAY_IMPORT[roomOf(file)].includes(target);
    });
    expect(wrong).toEqual([]);
  });
});
