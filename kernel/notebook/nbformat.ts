/**
 * Jupyter notebooks in nbformat 4.5: the in-memory shape, reading (any 4.x minor) and writing as
 * nbformat itself writes (sorted keys, one-space indent, multi-line strings split into lists of lines).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

/** A MIME bundle as stored in a notebook: strings (joined) or JSON values for JSON MIME types. */
export type NotebookMimeBundle = Record<string, unknown>;

/** Text printed to stdout or stderr. */
export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: string;
}

/** A rich output published with display(). */
export interface DisplayDataOutput {
  output_type: 'display_data';
  data: NotebookMimeBundle;
  metadata: Record<string, unknown>;
}

/** The value of a cell's last expression. */
export interface ExecuteResultOutput {
  output_type: 'execute_result';
  execution_count: number | null;
  data: NotebookMimeBundle;
  metadata: Record<string, unknown>;
}

/** An uncaught error, with the kernel's traceback lines (which may carry ANSI colours). */
export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}

/** Any output a code cell can hold. */
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

/** A cell of code, with its outputs once executed. */
export interface CodeCell {
  cell_type: 'code';
  id: string;
  source: string;
  metadata: Record<string, unknown>;
  execution_count: number | null;
  outputs: Output[];
}

/** A cell of Markdown text. */
export interface MarkdownCell {
  cell_type: 'markdown';
  id: string;
  source: string;
  metadata: Record<string, unknown>;
  attachments?: Record<string, NotebookMimeBundle>;
}

/** A cell passed through untouched by execution. */
export interface RawCell {
  cell_type: 'raw';
  id: string;
  source: string;
  metadata: Record<string, unknown>;
  attachments?: Record<string, NotebookMimeBundle>;
}

/** Any notebook cell. */
export type Cell = CodeCell | MarkdownCell | RawCell;

/** The kernelspec a notebook asks for. */
export interface NotebookKernelspec {
  name: string;
  display_name: string;
  language?: string;
  [extra: string]: unknown;
}

/** Notebook-level metadata: the kernelspec and language_info are the ones the runner reads and writes. */
export interface NotebookMetadata {
  kernelspec?: NotebookKernelspec;
  language_info?: { name: string; [extra: string]: unknown };
  [extra: string]: unknown;
}

/** A whole notebook, with strings joined (never lists of lines) whatever the file held. */
export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: NotebookMetadata;
  cells: Cell[];
}

/** The minor version this module writes: the first with cell ids. */
export const NBFORMAT_MINOR = 5;

/** Raised when a file is not a notebook this module can read. */
export class NotebookFormatError extends Error {
  override name = 'NotebookFormatError';
}

const CELL_ID_PATTERN = /^[a-zA-Z0-9-_]{1,64}$/;

/** A fresh cell id: eight hex digits, as nbformat's `random_cell_id` makes them. */
export function randomCellId(): string {
  return randomBytes(4).toString('hex');
}

/** A cell id derived from a cell's content, so regenerated notebooks keep their ids from one run to the next. */
export function contentCellId(cellType: string, source: string, taken: Set<string>): string {
  const digest = createHash('sha256').update(`${cellType}\0${source}`).digest('hex');
  for (let start = 0; ; start += 1) {
    const id = digest.slice(start, start + 8);
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

/** A new, empty notebook for the given kernelspec. */
export function newNotebook(kernelspec: NotebookKernelspec, cells: Cell[] = []): Notebook {
  return { nbformat: 4, nbformat_minor: NBFORMAT_MINOR, metadata: { kernelspec }, cells };
}

/** A new code cell with no outputs. */
export function newCodeCell(source: string, options: { id?: string; metadata?: Record<string, unknown> } = {}): CodeCell {
  return {
    cell_type: 'code',
    id: options.id ?? randomCellId(),
    source,
    metadata: options.metadata ?? {},
    execution_count: null,
    outputs: [],
  };
}

/** A new Markdown cell. */
export function newMarkdownCell(source: string, options: { id?: string; metadata?: Record<string, unknown> } = {}): MarkdownCell {
  return { cell_type: 'markdown', id: options.id ?? randomCellId(), source, metadata: options.metadata ?? {} };
}

/** The tags of a cell (`metadata.tags`), empty when it has none. */
export function cellTags(cell: Cell): string[] {
  const tags = cell.metadata.tags;
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

/** Parses notebook JSON (nbformat 4.x), joining multi-line strings and giving cells ids where 4.0-4.4 had none. */
export function parseNotebook(json: string): Notebook {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new NotebookFormatError(`Notebook is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(raw)) throw new NotebookFormatError('Notebook JSON must be an object');
  if (raw.nbformat !== 4) throw new NotebookFormatError(`Unsupported nbformat ${JSON.stringify(raw.nbformat)} (this reader handles 4.x)`);
  if (!Array.isArray(raw.cells)) throw new NotebookFormatError('Notebook has no cells list');
  const taken = new Set<string>();
  const cells = raw.cells.map((cell, index) => parseCell(cell, index, taken));
  return {
    nbformat: 4,
    nbformat_minor: Math.max(NBFORMAT_MINOR, typeof raw.nbformat_minor === 'number' ? raw.nbformat_minor : 0),
    metadata: isRecord(raw.metadata) ? (raw.metadata as NotebookMetadata) : {},
    cells,
  };
}

/** Reads a notebook file. */
export async function readNotebook(path: string): Promise<Notebook> {
  return parseNotebook(await readFile(path, 'utf8'));
}

/** Serialises a notebook exactly as nbformat's writer does, so files round-trip through Jupyter unchanged. */
export function serializeNotebook(notebook: Notebook): string {
  const cells = notebook.cells.map((cell) => splitCellLines(cell));
  return `${JSON.stringify(sortKeys({ ...notebook, cells }), null, 1)}\n`;
}

/** Writes a notebook file. */
export async function writeNotebook(path: string, notebook: Notebook): Promise<void> {
  await writeFile(path, serializeNotebook(notebook), 'utf8');
}

function parseCell(raw: unknown, index: number, taken: Set<string>): Cell {
  if (!isRecord(raw)) throw new NotebookFormatError(`Cell ${index} is not an object`);
  const source = joinLines(raw.source, `cell ${index} source`);
  const metadata = isRecord(raw.metadata) ? raw.metadata : {};
  const givenId = typeof raw.id === 'string' && CELL_ID_PATTERN.test(raw.id) && !taken.has(raw.id) ? raw.id : undefined;
  if (givenId !== undefined) taken.add(givenId);
  const cellType = raw.cell_type;
  const id = givenId ?? contentCellId(String(cellType), source, taken);
  switch (cellType) {
    case 'code':
      return {
        cell_type: 'code',
        id,
        source,
        metadata,
        execution_count: typeof raw.execution_count === 'number' ? raw.execution_count : null,
        outputs: Array.isArray(raw.outputs) ? raw.outputs.map((output, k) => parseOutput(output, `cell ${index} output ${k}`)) : [],
      };
    case 'markdown':
    case 'raw': {
      const cell: MarkdownCell | RawCell = { cell_type: cellType, id, source, metadata };
      if (isRecord(raw.attachments)) {
        cell.attachments = Object.fromEntries(
          Object.entries(raw.attachments).map(([name, bundle]) => [name, joinBundle(bundle, `attachment ${name}`)]),
        );
      }
      return cell;
    }
    default:
      throw new NotebookFormatError(`Cell ${index} has unknown cell_type ${JSON.stringify(cellType)}`);
  }
}

function parseOutput(raw: unknown, where: string): Output {
  if (!isRecord(raw)) throw new NotebookFormatError(`${where} is not an object`);
  switch (raw.output_type) {
    case 'stream':
      return { output_type: 'stream', name: raw.name === 'stderr' ? 'stderr' : 'stdout', text: joinLines(raw.text, where) };
    case 'display_data':
      return { output_type: 'display_data', data: joinBundle(raw.data, where), metadata: isRecord(raw.metadata) ? raw.metadata : {} };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        execution_count: typeof raw.execution_count === 'number' ? raw.execution_count : null,
        data: joinBundle(raw.data, where),
        metadata: isRecord(raw.metadata) ? raw.metadata : {},
      };
    case 'error':
      return {
        output_type: 'error',
        ename: String(raw.ename ?? ''),
        evalue: String(raw.evalue ?? ''),
        traceback: Array.isArray(raw.traceback) ? raw.traceback.map(String) : [],
      };
    default:
      throw new NotebookFormatError(`${where} has unknown output_type ${JSON.stringify(raw.output_type)}`);
  }
}

/** True for MIME types whose values are JSON documents rather than text (nbformat never splits those). */
export function isJsonMimeType(mimeType: string): boolean {
  return mimeType === 'application/json' || mimeType.endsWith('+json');
}

function joinBundle(raw: unknown, where: string): NotebookMimeBundle {
  if (raw === undefined) return {};
  if (!isRecord(raw)) throw new NotebookFormatError(`${where} data is not a MIME bundle`);
  return Object.fromEntries(
    Object.entries(raw).map(([mimeType, value]) => [mimeType, isJsonMimeType(mimeType) ? value : joinLines(value, `${where} ${mimeType}`)]),
  );
}

function joinLines(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((line) => typeof line === 'string')) return value.join('');
  if (value === undefined) return '';
  throw new NotebookFormatError(`${where} must be a string or a list of strings`);
}

/** Splits like Python's `str.splitlines(True)` for the newlines nbformat's writer meets. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function splitBundle(bundle: NotebookMimeBundle): NotebookMimeBundle {
  return Object.fromEntries(
    Object.entries(bundle).map(([mimeType, value]) => [
      mimeType,
      !isJsonMimeType(mimeType) && typeof value === 'string' ? splitLines(value) : value,
    ]),
  );
}

function splitCellLines(cell: Cell): Record<string, unknown> {
  const split: Record<string, unknown> = { ...cell, source: splitLines(cell.source) };
  if (cell.cell_type === 'code') {
    split.outputs = cell.outputs.map((output) => {
      switch (output.output_type) {
        case 'stream':
          return { ...output, text: splitLines(output.text) };
        case 'display_data':
        case 'execute_result':
          return { ...output, data: splitBundle(output.data) };
        case 'error':
          return output;
      }
    });
  } else if (cell.attachments !== undefined) {
    split.attachments = Object.fromEntries(Object.entries(cell.attachments).map(([name, bundle]) => [name, splitBundle(bundle)]));
  }
  return split;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
