import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** One executed cell as the history remembers it. */
export interface HistoryEntry {
  session: number;
  line: number;
  input: string;
  /** The text/plain of the cell's execute_result, if it had one. */
  output: string | null;
}

/** A history_reply row: `[session, line, input]`, or `[session, line, [input, output]]` when output was asked for. */
export type HistoryRow = [number, number, string] | [number, number, [string, string | null]];

/** What a history_request asks for (the protocol's fields, defaults applied). */
export type HistoryQuery =
  | { kind: 'tail'; n: number }
  | { kind: 'range'; session: number; start: number; stop: number | null }
  | { kind: 'search'; pattern: string; n: number | null; unique: boolean };

/**
 * Executed cells, numbered per session like IPython's history: kept in memory and, when given a file,
 * appended to it as JSON lines so later sessions (numbered one higher) can look back.
 */
export class History {
  private readonly entries: HistoryEntry[] = [];
  private currentSession: number;

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      for (const line of text.split('\n')) {
        const entry = parseEntry(line);
        if (entry) this.entries.push(entry);
      }
      // Start our entries on a line of their own, after a line a crash may have left unfinished.
      if (text !== '' && !text.endsWith('\n')) appendFileSync(file, '\n');
    }
    this.currentSession = this.entries.reduce((max, entry) => Math.max(max, entry.session), 0) + 1;
  }

  /** The number of the running session (1 for a fresh history). */
  get session(): number {
    return this.currentSession;
  }

  /** Starts a new session, as a kernel restart does. */
  newSession(): void {
    this.currentSession += 1;
  }

  /** Records a cell of the current session. */
  add(line: number, input: string, output: string | null): void {
    const entry: HistoryEntry = { session: this.currentSession, line, input, output };
    this.entries.push(entry);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  /** Answers a history_request's query with rows in chronological order. */
  query(query: HistoryQuery, withOutput: boolean): HistoryRow[] {
    return this.select(query).map((entry) =>
      withOutput ? [entry.session, entry.line, [entry.input, entry.output]] : [entry.session, entry.line, entry.input],
    );
  }

  private select(query: HistoryQuery): HistoryEntry[] {
    switch (query.kind) {
      case 'tail':
        return query.n > 0 ? this.entries.slice(-query.n) : [];
      case 'range': {
        // As in IPython, session 0 is the current one and negative numbers count back from it.
        const session = query.session > 0 ? query.session : this.currentSession + query.session;
        return this.entries.filter(
          (entry) => entry.session === session && entry.line >= query.start && (query.stop === null || entry.line < query.stop),
        );
      }
      case 'search': {
        const matcher = globToRegExp(query.pattern);
        let found = this.entries.filter((entry) => matcher.test(entry.input));
        if (query.unique) {
          const latest = new Map<string, HistoryEntry>();
          for (const entry of found) latest.set(entry.input, entry);
          const keep = new Set(latest.values());
          found = found.filter((entry) => keep.has(entry));
        }
        return query.n !== null && query.n > 0 ? found.slice(-query.n) : found;
      }
    }
  }
}

/** Reads one line of a history file; blank, truncated or foreign lines are skipped rather than fatal. */
function parseEntry(line: string): HistoryEntry | null {
  if (line.trim() === '') return null;
  try {
    const entry = JSON.parse(line) as Partial<HistoryEntry>;
    const valid = typeof entry.session === 'number' && typeof entry.line === 'number' && typeof entry.input === 'string';
    return valid ? { session: entry.session!, line: entry.line!, input: entry.input!, output: typeof entry.output === 'string' ? entry.output : null } : null;
  } catch {
    return null;
  }
}

/** Translates an SQLite GLOB pattern (`*`, `?`, `[...]`; case-sensitive, whole string) into a RegExp. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') source += '[\\s\\S]*';
    else if (char === '?') source += '[\\s\\S]';
    else if (char === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let set = pattern.slice(i + 1, close);
      const negated = set.startsWith('^');
      if (negated) set = set.slice(1);
      source += `[${negated ? '^' : ''}${set.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
