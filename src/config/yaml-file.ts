import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import type { ConfigProblem } from '../core/errors.ts';

/**
 * A YAML file read for validation: its data plus enough of its syntax tree to say on which line
 * a key sits, so every problem names file, line and key path.
 */
export interface YamlSource {
  readonly file: string;
  readonly data: unknown;
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

export function readYamlFile(file: string, displayName = file): { source?: YamlSource; problems: ConfigProblem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    return { problems: [{ file: displayName, path: '', message: reason }] };
  }
  return parseYamlText(text, displayName);
}

export function parseYamlText(text: string, file: string): { source?: YamlSource; problems: ConfigProblem[] } {
  const lineCounter = new LineCounter();
  // uniqueKeys: a key given twice is an error, not a silent override.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({
        file,
        line: lineCounter.linePos(e.pos[0]).line,
        path: e.code === 'DUPLICATE_KEY' ? formatPath(keyPathAt(doc.contents, e.pos[0]) ?? []) : '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 }) ?? {};
  } catch (err) {
    // An alias without its anchor, or too many aliases (resource exhaustion), fails only here.
    return { problems: [{ file, path: '', message: `YAML: ${(err as Error).message}` }] };
  }
  return { source: { file, data, lineOf: (path) => lineOf(doc, lineCounter, path) }, problems: [] };
}

/** The path of the key written at `offset` (where a duplicate key is reported), if a key is there. */
function keyPathAt(node: unknown, offset: number): PropertyKey[] | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      const [start = -1, end = -1] = pair.key.range ?? [];
      if (offset >= start && offset < end) return [key];
      const below = keyPathAt(pair.value, offset);
      if (below) return [key, ...below];
    }
  }
  if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const below = keyPathAt(item, offset);
      if (below) return [i, ...below];
    }
  }
  return undefined;
}

function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  // Walk down as far as the path exists; a missing key is reported at its parent.
  let node: unknown = doc.contents;
  let best: Node | undefined = isMap(node) ? node : undefined;
  for (const key of path) {
    if (isSeq(node)) {
      const item = node.items[Number(key)];
      if (item === undefined || !(item as Node).range) break;
      best = item as Node;
      node = item;
      continue;
    }
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
    if (!pair) break;
    best = (pair.key as Node) ?? best;
    node = pair.value;
  }
  const start = best?.range?.[0];
  return start === undefined ? undefined : lines.linePos(start).line;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Turns schema issues into problems located in a YAML source. */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  source: YamlSource | { file: string; lineOf?: undefined },
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        out.push({ file: source.file, line: source.lineOf?.(path), path: formatPath(path), message: 'unknown key' });
      }
      continue;
    }
    out.push({
      file: source.file,
      line: source.lineOf?.(issue.path),
      path: formatPath(issue.path),
      message: humanMessage(issue),
    });
  }
  return out;
}

function humanMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `missing (expected ${issue.expected})`
        : `expected ${issue.expected}, got ${describe(issue.input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(issue.input)}`;
    default:
      return issue.message;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}
