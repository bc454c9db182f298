/**
 * The older generations of a watched name, for the file tail (issue 19): where the file it was
 * reading went (renamed: by inode; copied, even compressed: by its first bytes), and the files
 * that held the name without being seen (by birth time). Each is opened as a rotated TailedFile
 * and put on the path's draining list, read before the file now at the path. How they are found
 * is rotation-finder.ts; this module decides from where each is read:
 *
 * - openAtPath: the file now at the path, resumed where it was saved, after the saved ones that
 *   moved away, with what a copytruncate while stopped left in the copy;
 * - findRotated: a saved file after a restart, wherever it went: the rest of it (adopt: put on
 *   its path's draining list, with the generations after it);
 * - readCopy: after a truncation (copytruncate) the copy's rest, and copies never read whole;
 * - addUnseen: files born between two files seen at the path, whole.
 */
import { realpath, stat } from 'node:fs/promises';
import { TailedFile, COARSE_CLOCK_MS, type FileState } from './tailed-file.js';
import { byFingerprint, byInode, idOf, siblings, unseen, type Found } from './rotation-finder.js';
import { isGzipName } from './gzip-file.js';
import { newTracked, type SourceLog, type Tracked } from './file-tail-state.js';

/**
 * A rotated sibling of `watched`, compressed (`auth.log.1.gz`, read through gunzip) or not. Its
 * own path is kept as its real path: a restart looks for it beside that path (a symlink's old
 * target is not beside the link; before, such a file was forgotten after a second restart).
 */
async function openSibling(path: string, from: FileState | 'start' | { at: number }, maxLineBytes: number, watched: string): ReturnType<typeof TailedFile.open> {
  const opened = await TailedFile.open(path, from, maxLineBytes, { gzip: isGzipName(path) });
  opened.file.rotated = true;
  opened.file.path = watched;
  if (path !== watched) opened.file.real = path;
  return opened;
}

export interface GenerationsContext {
  sourceId: string;
  maxLineBytes: number;
  log: SourceLog;
  /** A file was put on a draining list: scan again. */
  again: () => void;
}

export class Generations {
  constructor(private readonly ctx: GenerationsContext) {}

  /**
   * A saved file whose path is gone after a restart (rotated away while connwatch was stopped,
   * no new file yet): when found among the siblings, it goes on the draining list of `owner`
   * (made when undefined) with the files rotated away after it. undefined: not found.
   */
  async adopt(s: FileState, owner: Tracked | undefined): Promise<Tracked | undefined> {
    const found = await this.findRotated(s.path, s);
    if (!found) return undefined;
    const t = owner ?? newTracked(s.path, false, true);
    t.draining.push(found);
    t.seen.add(idOf(found));
    // later generations rotated away too, before any new file took the name
    await this.addUnseen(t, s.birth, Number.MAX_SAFE_INTEGER, s.real);
    return t;
  }

  /**
   * Open the file now at the path. Saved files of this path (`savedHere`): the one still at the
   * path resumes; the others are looked for among the siblings (rotated while connwatch was
   * stopped) and their rest read first; without any, the file is read from `fresh`.
   */
  async openAtPath(t: Tracked, savedHere: FileState[], fresh: 'start' | 'end'): Promise<TailedFile> {
    let from: 'start' | 'end' | FileState = fresh;
    const st = await stat(t.path);
    let newestSaved: FileState | undefined;
    for (const s of savedHere) {
      if ((s.birth ?? 0) >= (newestSaved?.birth ?? 0)) newestSaved = s;
      if (s.dev === st.dev && s.ino === st.ino) {
        from = s;
        continue;
      }
      const found = await this.findRotated(t.path, s);
      if (found) {
        t.draining.push(found);
        t.seen.add(idOf(found));
      }
    }
    const { file, resumed } = await TailedFile.open(t.path, from, this.ctx.maxLineBytes);
    // never one of its own older generations (the searches below include their bounds)
    t.seen.add(idOf(file));
    try {
      const real = await realpath(t.path);
      if (real !== t.path) file.real = real;
    } catch {
      // gone meanwhile: the next scan sees it
    }
    file.onRewrite = async (before) => {
      file.copiesAfter = await this.readCopy(t, before);
    };
    file.onUnknownChange = async () => {
      const draining = t.draining.length;
      file.copiesAfter = await this.readCopy(t, undefined, file.copiesAfter);
      return t.draining.length > draining;
    };
    if (typeof from === 'object' && !resumed) {
      this.ctx.log('info', `${t.path}: not the file saved before (rewritten or a reused inode); reading it from the start`, { source: this.ctx.sourceId });
      file.copiesAfter = await this.readCopy(t, from); // copytruncate while stopped: the copy holds the rest
    } else if (typeof from === 'object' && from.fpLen === 0) {
      // saved while nothing of the file was known (just truncated): copied and truncated again since?
      file.copiesAfter = await this.readCopy(t, undefined, from.copiesAfter);
    }
    // generations born and rotated away while connwatch was stopped
    if (newestSaved && from !== newestSaved) await this.addUnseen(t, newestSaved.birth, file.birth, newestSaved.real);
    return file;
  }

  /** The saved file, wherever it went: by device and inode, else a copy by its fingerprint (copytruncate, compressed twin aside). */
  async findRotated(path: string, s: FileState): Promise<TailedFile | undefined> {
    const candidates = await siblings(path, s.real);
    const same = byInode(candidates, s);
    try {
      if (same) {
        // Same inode but other first bytes: truncated and rewritten since (or, rarely, a reused
        // inode): read it from its start; a repeat is better than a loss.
        const { file, resumed } = await openSibling(same.path, s, this.ctx.maxLineBytes, path);
        this.ctx.log('info', `${path}: reading ${resumed ? 'the rest of' : 'all of (rewritten since)'} ${same.path}, rotated while connwatch was stopped`, { source: this.ctx.sourceId });
        return file;
      }
      const copy = await byFingerprint(candidates, s, new Set());
      if (!copy) return undefined;
      const { file } = await openSibling(copy.path, { at: s.offset }, this.ctx.maxLineBytes, path);
      this.ctx.log('info', `${path}: reading the rest of ${copy.path}, a copy of the file read before connwatch stopped`, { source: this.ctx.sourceId });
      return file;
    } catch {
      return undefined; // vanished meanwhile
    }
  }


  /**
   * After a truncation (copytruncate): the copy that starts like the file did is read from where
   * reading stopped, and copies born since the last one handled that were never read (copied and
   * truncated again before a read saw the file) from their start; lines also read from the file
   * itself get the same ids and are dropped. Returns the new lower bound for copies.
   */
  async readCopy(t: Tracked, before: FileState | undefined, copiesAfter = before?.copiesAfter): Promise<number> {
    const since = Date.now() - COARSE_CLOCK_MS;
    // an unknown change looks beside the path only: a symlink's next target is no copy
    const candidates = await siblings(t.path, before?.real);
    const copy = before ? await byFingerprint(candidates, before, new Set(t.seen)) : undefined;
    const add: Array<{ found: Found; from: { at: number } | 'start' }> = [];
    if (copy && before) add.push({ found: copy, from: { at: before.offset } });
    const after = copiesAfter ?? copy?.st.birthtimeMs;
    const open = new Set([...t.seen, ...t.draining.map(idOf), ...(t.current ? [idOf(t.current)] : []), ...(copy ? [idOf(copy.st)] : [])]);
    for (const c of unseen(candidates, after, Date.now() + 1, open)) add.push({ found: c, from: 'start' });
    add.sort((a, b) => a.found.st.birthtimeMs - b.found.st.birthtimeMs);
    for (const { found, from } of add) {
      try {
        const { file } = await openSibling(found.path, from, this.ctx.maxLineBytes, t.path);
        t.seen.add(idOf(file));
        t.draining.push(file);
        this.ctx.again();
        this.ctx.log('info', from === 'start' ? `${t.path}: truncated; reading ${found.path}, a copy made before connwatch read the file` : `${t.path}: truncated; reading what went only into its copy ${found.path}`, { source: this.ctx.sourceId });
      } catch {
        // vanished meanwhile
      }
    }
    return since;
  }


  /** Files born between two files seen at the path (see rotation-finder.ts), read from their start. */
  async addUnseen(t: Tracked, after: number | undefined, before: number, real: string | undefined): Promise<void> {
    if (!after) return;
    const open = new Set([...t.seen, ...t.draining.map(idOf), ...(t.current ? [idOf(t.current)] : [])]);
    for (const c of unseen(await siblings(t.path, real), after, before, open)) {
      try {
        const { file } = await openSibling(c.path, 'start', this.ctx.maxLineBytes, t.path);
        t.seen.add(idOf(file));
        t.draining.push(file);
        this.ctx.log('info', `${t.path}: reading ${c.path}, which held the name between two files connwatch saw`, { source: this.ctx.sourceId });
      } catch {
        // vanished meanwhile
      }
    }
  }
}
