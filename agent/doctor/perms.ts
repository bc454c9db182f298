/**
 * Why a file cannot be read, and the fix: which group owns it, whether the user is a member of
 * that group already (then only a new login is missing), read from /etc/group.
 */
import { readFileSync, statSync } from 'node:fs';

/** Group name of a gid, and its listed members, from a group(5) file. */
export function groupOf(groupFile: string, gid: number): { name: string; members: string[] } | undefined {
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [name, , id, members] = line.split(':');
    if (name && id !== undefined && Number(id) === gid) return { name, members: (members ?? '').split(',').filter(Boolean) };
  }
  return undefined;
}

export function groupNamed(groupFile: string, name: string): { gid: number; members: string[] } | undefined {
  try {
    for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
      const [n, , id, members] = line.split(':');
      if (n === name && id !== undefined) return { gid: Number(id), members: (members ?? '').split(',').filter(Boolean) };
    }
  } catch {
    // no group file: no advice from it
  }
  return undefined;
}

/** "add yourself to group G" or "log in again" for a file readable by its group. */
export function groupFix(path: string, groupFile: string, user: string, preferred?: string): string {
  let gid: number | undefined;
  let mode = 0;
  try {
    const st = statSync(path);
    gid = st.gid;
    mode = st.mode;
  } catch {
    // fall through to the preferred group
  }
  const owner = gid !== undefined && mode & 0o040 ? groupOf(groupFile, gid) : undefined;
  const name = owner?.name ?? preferred;
  if (!name) return `Make ${path} readable for ${user} (ask the administrator), or remove it from the configured sources.`;
  const members = owner?.members ?? groupNamed(groupFile, name)?.members ?? [];
  if (members.includes(user)) {
    return `${user} is in group "${name}" already, but this session started before that: log out and log in again (or reboot).`;
  }
  return `Add yourself to group "${name}": sudo usermod -aG ${name} $USER, then log out and log in again.`;
}
