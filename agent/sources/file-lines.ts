/**
 * Reads a finished file as RawLines, streaming (memory stays bounded whatever the size): lines
 * end at "\n", a trailing "\r" is dropped, invalid UTF-8 becomes U+FFFD, a line longer than
 * `maxLineBytes` is cut (with " …[cut N bytes]") and its neighbours are kept, and a last line
 * without a newline is delivered with partial: true (a program was waiting when the log ended).
 */
import { createReadStream } from 'node:fs';
import type { Program } from '../event.js';
import type { RawLine } from './raw-line.js';

export interface FileLinesOptions {
  sourceId?: string;
  program?: Program;
  /** receivedAt of every line (replay: one fixed time, so untimed lines never open a gap). */
  receivedAt: number;
  maxLineBytes?: number;
}

export async function* readFileLines(path: string, o: FileLinesOptions): AsyncGenerator<RawLine> {
  const max = o.maxLineBytes ?? 64 * 1024;
  const sourceId = o.sourceId ?? `replay:${path}`;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let cut = 0;
  let lineNo = 0;
  let lineStart = 0; // byte offset where the current line began
  let pos = 0; // byte offset of the current chunk's start
  const make = (buf: Buffer, partial: boolean): RawLine => {
    lineNo++;
    let end = buf.length;
    if (!partial && end > 0 && buf[end - 1] === 0x0d) end--;
    let text = buf.subarray(0, end).toString('utf8');
    if (cut > 0) text += ` …[cut ${cut} bytes]`;
    const line: RawLine = {
      sourceId,
      text,
      receivedAt: o.receivedAt,
      position: { source: sourceId, file: path, line: lineNo, offset: lineStart },
    };
    if (o.program) line.program = o.program;
    if (partial) line.partial = true;
    return line;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      const room = max - carryLen;
      if (piece.length <= room) {
        carry.push(piece);
        carryLen += piece.length;
      } else {
        if (room > 0) {
          carry.push(piece.subarray(0, room));
          carryLen += room;
        }
        cut += piece.length - Math.max(0, room);
      }
      if (nl === -1) break;
      yield make(carry.length === 1 ? carry[0]! : Buffer.concat(carry), false);
      carry = [];
      carryLen = 0;
      cut = 0;
      start = nl + 1;
      lineStart = pos + start;
    }
    pos += chunk.length;
  }
  if (carryLen > 0 || cut > 0) yield make(Buffer.concat(carry), true);
}
