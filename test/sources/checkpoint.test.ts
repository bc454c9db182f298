/** CheckpointStore: versioned JSON, atomic writes, batched flushes, corrupt files survived. */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointStore, defaultCheckpointPath } from '../../agent/sources/checkpoint.js';
import type { ConnwatchError } from '../../agent/errors.js';
import { tempDir, waitFor } from './helpers.js';

describe('CheckpointStore', () => {
  it('writes versioned JSON atomically, batched, and reads it back', async () => {
    const dir = tempDir();
    const path = join(dir, 'state', 'checkpoints.json');
    const a = new CheckpointStore(path, { flushMs: 100 });
    await a.load();
    for (let i = 0; i < 1000; i++) a.set('file:/x', { offset: i });
    a.set('journal:system', { cursor: 's=1' });
    await waitFor(() => readdirSync(dir).includes('state') && readdirSync(join(dir, 'state')).includes('checkpoints.json'), 'the batched write');
    const data = JSON.parse(readFileSync(path, 'utf8')) as { version: number; entries: Record<string, unknown> };
    expect(data.version).toBe(1);
    expect(data.entries).toEqual({ 'file:/x': { offset: 999 }, 'journal:system': { cursor: 's=1' } });
    expect(readdirSync(join(dir, 'state'))).toEqual(['checkpoints.json']); // no temp file left
    const b = new CheckpointStore(path);
    await b.load();
    expect(b.get('file:/x')).toEqual({ offset: 999 });
  });

  it('survives a corrupt or unknown-version file: reports it and starts empty', async () => {
    const dir = tempDir();
    const path = join(dir, 'ck.json');
    for (const body of ['{"version":1,"entries":', '{"version":99,"entries":{}}']) {
      writeFileSync(path, body);
      const errors: ConnwatchError[] = [];
      const s = new CheckpointStore(path, { onError: (e) => errors.push(e) });
      await s.load();
      expect(errors.map((e) => e.code)).toEqual(['STATE_UNWRITABLE']);
      expect(s.keys()).toEqual([]);
      s.set('k', 1);
      await s.flush();
      expect(JSON.parse(readFileSync(path, 'utf8')).entries).toEqual({ k: 1 });
    }
  });

  it('reports a write that fails and keeps the values in memory', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const errors: ConnwatchError[] = [];
    const s = new CheckpointStore(join(dir, 'file', 'ck.json'), { onError: (e) => errors.push(e) });
    s.set('k', 'v');
    await s.flush();
    expect(errors.map((e) => e.code)).toEqual(['STATE_UNWRITABLE']);
    expect(s.get('k')).toBe('v');
  });

  it('defaults to the XDG state directory', () => {
    expect(defaultCheckpointPath({ XDG_STATE_HOME: '/s' })).toBe('/s/connwatch/checkpoints.json');
    expect(defaultCheckpointPath({})).toMatch(/\.local\/state\/connwatch\/checkpoints\.json$/);
  });
});
