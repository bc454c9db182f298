/**
 * Named groups made cheap for table rows (table.ts): the expression rewritten with positional
 * groups, and a generated function that builds each match's groups object in one literal.
 */

export type Groups = Record<string, string | undefined>;

/**
 * The expression without its group names, and each name's group number. A match of an expression
 * with named groups builds a `groups` object in the engine that costs more than the match of a
 * short line (measured on the bench's sshd lines: 12% of the parser); positional groups and an
 * object of the same shape built here cost next to nothing.
 */
export function positional(re: RegExp): { re: RegExp; names: string[]; index: number[] } {
  const src = re.source;
  const names: string[] = [];
  const index: number[] = [];
  let out = '';
  let group = 0;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      out += c + (src[i + 1] ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') inClass = true;
    if (c === '(') {
      const named = /^\(\?<([A-Za-z_$][\w$]*)>/.exec(src.slice(i));
      if (named) {
        group++;
        names.push(named[1]!);
        index.push(group);
        out += '(';
        i += named[0].length - 1;
        continue;
      }
      if (src[i + 1] !== '?') group++;
    }
    out += c;
  }
  if (src.includes('\\k<')) return { re, names: [], index: [] }; // a backreference by name: keep the names
  return { re: new RegExp(out, re.flags), names, index };
}

/**
 * The groups of a match as one object literal per row (`{ host: m[1], port: m[2] }`): objects of
 * one shape per row, made in one step, where setting the names one by one made a new shape per key
 * and left every reader of `g.host` megamorphic (sshd parsed 1.13× slower than its hand-written
 * parser so; 1.06× with the literal). The names are the table's own group names, checked to be
 * identifiers by positional(); no log text reaches the generated function.
 */
export function groupsBuilder(names: readonly string[], index: readonly number[]): (m: RegExpExecArray) => Groups {
  const fields = names.map((n, i) => {
    if (!/^[A-Za-z_$][\w$]*$/.test(n) || !Number.isInteger(index[i])) throw new Error(`table: bad group name ${n}`);
    return `${JSON.stringify(n)}: m[${index[i]}]`;
  });
  return new Function('m', `return { ${fields.join(', ')} };`) as (m: RegExpExecArray) => Groups;
}
