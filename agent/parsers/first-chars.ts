/**
 * The characters a match of an anchored expression (`^…`) can start with, read from its source:
 * literal characters, escaped punctuation, classes of literals and ranges, \d and \w, groups and
 * alternations, and quantifiers that allow zero (`?`, `*`, `{0,…}`) which let the next term's
 * characters in too. Anything else (`.`, \s, negated classes, lookarounds, backreferences, the
 * `m` flag, a pattern that can match at its start with nothing) gives undefined: any character.
 * The analysis errs only that way: a character a match can start with is never left out
 * (test/parsers/dispatch.test.ts checks it against every sample line). PatternTable (dispatch.ts)
 * indexes a table's patterns by it.
 */

class Unknown extends Error {}

const DIGITS = '0123456789';
const WORD = `${DIGITS}abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_`;

interface First {
  chars: Set<string>;
  /** The part can match the empty string. */
  nullable: boolean;
}

/** The characters a match of `re` can start with; undefined when that cannot be told (any). */
export function firstChars(re: RegExp): Set<string> | undefined {
  const src = re.source;
  if (!src.startsWith('^') || re.flags.includes('m')) return undefined;
  try {
    const p = new Reader(src, 1);
    const f = p.alternation();
    if (p.i !== src.length || f.nullable) return undefined;
    if (!re.flags.includes('i')) return f.chars;
    const both = new Set<string>();
    for (const c of f.chars) {
      both.add(c.toLowerCase());
      both.add(c.toUpperCase());
    }
    return both;
  } catch (err) {
    if (err instanceof Unknown) return undefined;
    throw err;
  }
}

class Reader {
  constructor(
    private readonly s: string,
    public i: number,
  ) {}

  /** alt ('|' alt)* up to ')' or the end. */
  alternation(): First {
    const out: First = { chars: new Set(), nullable: false };
    for (;;) {
      const f = this.sequence();
      for (const c of f.chars) out.chars.add(c);
      if (f.nullable) out.nullable = true;
      if (this.s[this.i] !== '|') return out;
      this.i++;
    }
  }

  private sequence(): First {
    const out: First = { chars: new Set(), nullable: true };
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      if (!out.nullable) {
        // the first characters are known: the rest of this alternative only needs skipping
        this.skipTerm();
        this.quantifier();
        continue;
      }
      const t = this.term();
      const zero = this.quantifier();
      for (const c of t.chars) out.chars.add(c);
      if (!(t.nullable || zero)) out.nullable = false;
    }
    return out;
  }

  /** Steps over one term without reading it: a group (balanced), a class, an escape or a character. */
  private skipTerm(): void {
    const c = this.s[this.i];
    if (c === '\\') this.i += 2;
    else if (c === '[') {
      this.i++;
      while (this.i < this.s.length && this.s[this.i] !== ']') this.i += this.s[this.i] === '\\' ? 2 : 1;
      this.i++;
    } else if (c === '(') {
      this.i++;
      if (this.s[this.i] === '?') {
        const m = /^\?(?::|=|!|<=|<!|<[^>]*>)/.exec(this.s.slice(this.i));
        if (!m) throw new Unknown();
        this.i += m[0].length;
      }
      while (this.i < this.s.length && this.s[this.i] !== ')') {
        if (this.s[this.i] === '|') this.i++;
        else {
          this.skipTerm();
          this.quantifier();
        }
      }
      if (this.s[this.i] !== ')') throw new Unknown();
      this.i++;
    } else this.i++;
  }

  private term(): First {
    const c = this.s[this.i]!;
    if (c === '(') return this.group();
    if (c === '[') return this.klass();
    if (c === '\\') return this.escape();
    if (c === '$') {
      // end anchor: matches nothing, consumes nothing
      this.i++;
      return { chars: new Set(), nullable: true };
    }
    if ('.^*+?{}'.includes(c)) throw new Unknown();
    this.i++;
    return { chars: new Set([c]), nullable: false };
  }

  private group(): First {
    this.i++;
    if (this.s[this.i] === '?') {
      if (this.s[this.i + 1] === ':') this.i += 2;
      else if (this.s[this.i + 1] === '<' && /[A-Za-z_$]/.test(this.s[this.i + 2] ?? '')) this.i = this.s.indexOf('>', this.i) + 1;
      else throw new Unknown(); // lookaround
    }
    const f = this.alternation();
    if (this.s[this.i] !== ')') throw new Unknown();
    this.i++;
    return f;
  }

  private klass(): First {
    this.i++;
    if (this.s[this.i] === '^') throw new Unknown();
    const chars = new Set<string>();
    let prev: string | undefined;
    while (this.i < this.s.length && this.s[this.i] !== ']') {
      let c = this.s[this.i]!;
      if (c === '\\') {
        const e = this.s[this.i + 1] ?? '';
        this.i += 2;
        if (e === 'd' || e === 'w') {
          for (const x of e === 'd' ? DIGITS : WORD) chars.add(x);
          prev = undefined;
          continue;
        }
        if (/[A-Za-z0-9]/.test(e)) throw new Unknown();
        c = e;
      } else this.i++;
      if (c === '-' && prev !== undefined && this.s[this.i] !== ']') {
        let to = this.s[this.i]!;
        if (to === '\\') {
          to = this.s[this.i + 1] ?? '';
          if (/[A-Za-z0-9]/.test(to)) throw new Unknown();
          this.i++;
        }
        this.i++;
        for (let x = prev.charCodeAt(0); x <= to.charCodeAt(0); x++) chars.add(String.fromCharCode(x));
        prev = undefined;
        continue;
      }
      chars.add(c);
      prev = c;
    }
    if (this.s[this.i] !== ']') throw new Unknown();
    this.i++;
    return { chars, nullable: false };
  }

  private escape(): First {
    const e = this.s[this.i + 1] ?? '';
    this.i += 2;
    if (e === 'd') return { chars: new Set(DIGITS), nullable: false };
    if (e === 'w') return { chars: new Set(WORD), nullable: false };
    if (/[A-Za-z0-9]/.test(e) || e === '') throw new Unknown(); // \s \S \b \x41 \1 …
    return { chars: new Set([e]), nullable: false };
  }

  /** Skips a quantifier after a term; true when it allows zero repetitions. */
  private quantifier(): boolean {
    const c = this.s[this.i];
    let zero = false;
    if (c === '?' || c === '*') {
      zero = true;
      this.i++;
    } else if (c === '+') this.i++;
    else if (c === '{') {
      const m = /^\{(\d*)(?:,\d*)?\}/.exec(this.s.slice(this.i));
      if (!m) throw new Unknown();
      zero = m[1] === '' || Number(m[1]) === 0;
      this.i += m[0].length;
    } else return false;
    if (this.s[this.i] === '?') this.i++; // lazy
    return zero;
  }
}
