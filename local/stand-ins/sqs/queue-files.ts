/**
 * Keeps each queue as one JSON file under `<dataDir>/sqs/`, rewritten (coalesced, atomically by
 * rename) shortly after it changes, so messages spilled in one local-mode run are still there in
 * the next. A snapshot per queue is enough: spillover queues are small and short-lived.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredQueue } from './queue';

const WRITE_DELAY_MS = 25;

export class QueueFiles {
  private readonly dirty = new Map<string, () => StoredQueue | undefined>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly directory: string) {
    mkdirSync(directory, { recursive: true });
  }

  load(): StoredQueue[] {
    return readdirSync(this.directory)
      .filter((file) => file.endsWith('.json'))
      .map((file) => JSON.parse(readFileSync(join(this.directory, file), 'utf8')) as StoredQueue);
  }

  changed(name: string, snapshot: () => StoredQueue | undefined): void {
    this.dirty.set(name, snapshot);
    this.timer ??= setTimeout(() => this.flush(), WRITE_DELAY_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [name, snapshot] of this.dirty) {
      const queue = snapshot();
      if (!queue) continue;
      const path = join(this.directory, `${name}.json`);
      writeFileSync(`${path}.tmp`, JSON.stringify(queue));
      renameSync(`${path}.tmp`, path);
    }
    this.dirty.clear();
  }

  remove(name: string): void {
    this.dirty.delete(name);
    rmSync(join(this.directory, `${name}.json`), { force: true });
  }
}
