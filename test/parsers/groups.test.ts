/**
 * positional() and groupsBuilder() (agent/parsers/groups.ts): a row's named groups become
 * positional ones, and the builder gives the same object the engine's `groups` would.
 */
import { describe, expect, it } from 'vitest';
import { groupsBuilder, positional } from '../../agent/parsers/groups.js';

describe('positional', () => {
  it('numbers named groups past unnamed ones, non-capturing groups, escaped and class parentheses', () => {
    const named = /^(a|b) \((?:x)[(](?<host>\S+) port (?<port>\d+)(?<user>[^)]*)?$/i;
    const { re, names, index } = positional(named);
    expect(re.source).toBe('^(a|b) \\((?:x)[(](\\S+) port (\\d+)([^)]*)?$');
    expect(re.flags).toBe('i');
    expect(names).toEqual(['host', 'port', 'user']);
    expect(index).toEqual([2, 3, 4]);
  });

  it('keeps the names of an expression with a backreference by name', () => {
    const named = /^(?<q>["'])(?<v>.*)\k<q>$/;
    expect(positional(named)).toEqual({ re: named, names: [], index: [] });
  });
});

describe('groupsBuilder', () => {
  it('builds the object the named groups give, from the positional match', () => {
    const named = /^b (?<host>\S+) port (?<port>\d+)(?: as (?<user>\S+))?$/;
    const { re, names, index } = positional(named);
    const build = groupsBuilder(names, index);
    for (const line of ['b h1 port 22 as root', 'b h2 port 2222']) {
      expect(build(re.exec(line)!)).toEqual({ ...named.exec(line)!.groups });
    }
  });

  it('refuses a name that is not an identifier', () => {
    expect(() => groupsBuilder(['a-b'], [1])).toThrow(/bad group name/);
    expect(() => groupsBuilder(['a'], [1.5])).toThrow(/bad group name/);
  });
});
