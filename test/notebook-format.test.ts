import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  contentCellId,
  newCodeCell,
  newMarkdownCell,
  newNotebook,
  NotebookFormatError,
  parseNotebook,
  serializeNotebook,
  type CodeCell,
  type Notebook,
} from '../kernel/notebook/nbformat.js';
import { OutputCollector } from '../kernel/notebook/outputs.js';
import { validateWithNbformat } from '../tools/notebooks/validate.js';

function sampleNotebook(): Notebook {
  const code = newCodeCell('const x = torch.tensor(5)\nx', { id: 'code-1', metadata: { tags: ['raises-exception'] } });
  code.execution_count = 3;
  code.outputs = [
    { output_type: 'stream', name: 'stdout', text: 'line one\nline two\nno newline' },
    { output_type: 'stream', name: 'stderr', text: 'ünïcödé → ok\n' },
    { output_type: 'display_data', data: { 'image/svg+xml': '<svg>\n<g/>\n</svg>\n', 'text/plain': 'graph' }, metadata: { isolated: true } },
    { output_type: 'display_data', data: { 'application/json': { b: [1, 2], a: 'x\ny' }, 'text/plain': '{}' }, metadata: {} },
    { output_type: 'execute_result', execution_count: 3, data: { 'text/html': '<table></table>', 'text/plain': 'tensor(5)' }, metadata: {} },
    { output_type: 'error', ename: 'RuntimeError', evalue: 'boom', traceback: ['\x1b[31mRuntimeError\x1b[0m: boom'] },
  ];
  return newNotebook({ name: 'tsgrad', display_name: 'TypeScript (tsgrad)', language: 'typescript' }, [
    newMarkdownCell('# Title\n\nSome *text*.\n', { id: 'md-1' }),
    code,
    newCodeCell('', { id: 'empty' }),
  ]);
}

describe('nbformat 4.5', () => {
  it('writes notebooks that nbformat validates, byte for byte as nbformat itself writes them', () => {
    const json = serializeNotebook(sampleNotebook());
    expect(validateWithNbformat(json)).toEqual({ valid: true, version: [4, 5] });
    const rewrittenByNbformat = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import sys, nbformat; sys.stdout.write(nbformat.writes(nbformat.reads(sys.stdin.read(), as_version=4)) + "\\n")'],
      { input: json, encoding: 'utf8' },
    );
    expect(json).toBe(rewrittenByNbformat);
  });

  it('splits multi-line strings into lines on write and joins them on read', () => {
    const notebook = sampleNotebook();
    const raw = JSON.parse(serializeNotebook(notebook));
    expect(raw.cells[1].source).toEqual(['const x = torch.tensor(5)\n', 'x']);
    expect(raw.cells[1].outputs[0].text).toEqual(['line one\n', 'line two\n', 'no newline']);
    expect(raw.cells[1].outputs[3].data['application/json']).toEqual({ a: 'x\ny', b: [1, 2] });
    expect(raw.cells[2].source).toEqual([]);
    expect(parseNotebook(serializeNotebook(notebook))).toEqual(notebook);
  });

  it('reads older 4.x notebooks, giving cells stable ids', () => {
    const old = JSON.stringify({
      nbformat: 4,
      nbformat_minor: 2,
      metadata: {},
      cells: [
        { cell_type: 'markdown', metadata: {}, source: ['# Hi\n', 'there'] },
        { cell_type: 'code', metadata: {}, source: 'x', execution_count: null, outputs: [] },
        { cell_type: 'code', metadata: {}, source: 'x', execution_count: null, outputs: [] },
      ],
    });
    const notebook = parseNotebook(old);
    expect(notebook.nbformat_minor).toBe(5);
    expect(notebook.cells[0]!.source).toBe('# Hi\nthere');
    const ids = notebook.cells.map((cell) => cell.id);
    expect(new Set(ids).size).toBe(3);
    expect(parseNotebook(old).cells.map((cell) => cell.id)).toEqual(ids);
    expect(validateWithNbformat(serializeNotebook(notebook)).valid).toBe(true);
  });

  it('derives content ids that avoid the ones taken', () => {
    const taken = new Set<string>();
    const first = contentCellId('code', 'x', taken);
    expect(first).toMatch(/^[0-9a-f]{8}$/);
    expect(contentCellId('code', 'x', taken)).not.toBe(first);
  });

  it('refuses what is not a version 4 notebook', () => {
    expect(() => parseNotebook('{"nbformat": 3, "worksheets": []}')).toThrow(NotebookFormatError);
    expect(() => parseNotebook('not json')).toThrow(/not valid JSON/);
    expect(() => parseNotebook('{"nbformat": 4, "cells": [{"cell_type": "heading"}]}')).toThrow(/unknown cell_type "heading"/);
  });
});

describe('OutputCollector', () => {
  const message = (msg_type: string, content: Record<string, unknown>) => ({ msg_type, content });

  it('updates a display in an earlier cell, and a new display with the same id updates the old one too', () => {
    const collector = new OutputCollector();
    const first = newCodeCell('a');
    const second = newCodeCell('b');
    collector.beginCell(first);
    collector.handle(message('display_data', { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'loss' } }));
    collector.beginCell(second);
    collector.handle(message('update_display_data', { data: { 'text/plain': 'v2' }, metadata: { m: 1 }, transient: { display_id: 'loss' } }));
    expect(first.outputs).toEqual([{ output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: { m: 1 } }]);
    expect(second.outputs).toEqual([]);
    collector.handle(message('display_data', { data: { 'text/plain': 'v3' }, metadata: {}, transient: { display_id: 'loss' } }));
    expect((first.outputs[0] as { data: unknown }).data).toEqual({ 'text/plain': 'v3' });
    expect(second.outputs).toHaveLength(1);
  });

  it('clears at once, or before the next output when asked to wait, and forgets cleared displays', () => {
    const collector = new OutputCollector();
    const cell: CodeCell = newCodeCell('c');
    collector.beginCell(cell);
    collector.handle(message('display_data', { data: { 'text/plain': 'frame 1' }, metadata: {}, transient: { display_id: 'd' } }));
    collector.handle(message('clear_output', { wait: true }));
    expect(cell.outputs).toHaveLength(1);
    collector.handle(message('stream', { name: 'stdout', text: 'frame 2' }));
    expect(cell.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'frame 2' }]);
    collector.handle(message('update_display_data', { data: { 'text/plain': 'late' }, metadata: {}, transient: { display_id: 'd' } }));
    expect(cell.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'frame 2' }]);
    collector.handle(message('clear_output', { wait: false }));
    expect(cell.outputs).toEqual([]);
  });

  it('takes the execution count from execute_input and ignores status messages', () => {
    const collector = new OutputCollector();
    const cell = newCodeCell('d');
    collector.beginCell(cell);
    collector.handle(message('status', { execution_state: 'busy' }));
    collector.handle(message('execute_input', { code: 'd', execution_count: 7 }));
    collector.handle(message('execute_result', { data: { 'text/plain': '1' }, metadata: {}, execution_count: 7 }));
    expect(cell.execution_count).toBe(7);
    expect(cell.outputs).toEqual([{ output_type: 'execute_result', execution_count: 7, data: { 'text/plain': '1' }, metadata: {} }]);
  });
});
