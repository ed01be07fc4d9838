/** The display layer on its own: MIME bundles of values, and the display functions cells call. */
import { describe, expect, it } from 'vitest';
import { createDisplayFunctions, isDisplayHandle, plainText, toMimeBundle, type MimeBundle } from '../kernel/display/index.js';

describe('toMimeBundle', () => {
  it('gives text/plain as Node inspects, strings quoted, without colours', async () => {
    expect(await toMimeBundle('text')).toEqual({ 'text/plain': "'text'" });
    expect(await toMimeBundle(42)).toEqual({ 'text/plain': '42' });
    expect(await toMimeBundle({ a: [1, 2], b: 'x' })).toEqual({ 'text/plain': "{ a: [ 1, 2 ], b: 'x' }" });
    expect(await toMimeBundle(new Map([[1, 'one']]))).toEqual({ 'text/plain': "Map(1) { 1 => 'one' }" });
    expect(plainText({ nested: { deep: true } })).not.toContain('\u001b[');
  });

  it("uses an object's Jupyter.display bundle, sync or async, always with text/plain", async () => {
    const own = { [Symbol.for('Jupyter.display')]: () => ({ 'text/html': '<b>x</b>' }) };
    expect(await toMimeBundle(own)).toMatchObject({ 'text/html': '<b>x</b>', 'text/plain': expect.any(String) });
    const later = { [Symbol.for('Jupyter.display')]: async () => ({ 'text/html': '<i>y</i>', 'text/plain': 'y' }) };
    expect(await toMimeBundle(later)).toEqual({ 'text/html': '<i>y</i>', 'text/plain': 'y' });
    const broken = { [Symbol.for('Jupyter.display')]: () => null };
    expect(Object.keys(await toMimeBundle(broken))).toEqual(['text/plain']);
  });
});

describe('display functions', () => {
  function recorder() {
    const shown: { bundle: MimeBundle; metadata: Record<string, unknown>; displayId?: string; update: boolean }[] = [];
    const clears: boolean[] = [];
    const functions = createDisplayFunctions({
      display: (bundle, metadata, transient, update) => void shown.push({ bundle, metadata, displayId: transient.display_id, update }),
      clearOutput: (wait) => void clears.push(wait),
    });
    return { shown, clears, ...functions };
  }

  it('sends each shorthand with its MIME type and text/plain', () => {
    const { display, shown } = recorder();
    display.html('<p>h</p>');
    display.svg('<svg/>');
    display.markdown('# m');
    display.latex('$x$');
    display.png(new Uint8Array([1, 2, 3]));
    display.png('AQID');
    display.json({ k: [1] }, { metadata: { expanded: true } });
    expect(shown.map((entry) => entry.bundle)).toEqual([
      { 'text/html': '<p>h</p>', 'text/plain': '<p>h</p>' },
      { 'image/svg+xml': '<svg/>', 'text/plain': '<svg/>' },
      { 'text/markdown': '# m', 'text/plain': '# m' },
      { 'text/latex': '$x$', 'text/plain': '$x$' },
      { 'image/png': 'AQID', 'text/plain': '<PNG image>' },
      { 'image/png': 'AQID', 'text/plain': '<PNG image>' },
      { 'application/json': { k: [1] }, 'text/plain': '{ k: [ 1 ] }' },
    ]);
    expect(shown[6]!.metadata).toEqual({ expanded: true });
  });

  it('updates a display in place through its handle or its display_id', () => {
    const { display, shown } = recorder();
    const handle = display({ step: 1 });
    expect(isDisplayHandle(handle)).toBe(true);
    handle.update({ step: 2 });
    display('third', { display_id: handle.display_id, update: true });
    expect(shown.map(({ displayId, update }) => ({ displayId, update }))).toEqual([
      { displayId: handle.display_id, update: false },
      { displayId: handle.display_id, update: true },
      { displayId: handle.display_id, update: true },
    ]);
    expect(shown[2]!.bundle).toEqual({ 'text/plain': "'third'" });
  });

  it('waits for displays whose bundle is computed asynchronously', async () => {
    const { display, shown, settled } = recorder();
    display({ [Symbol.for('Jupyter.display')]: async () => ({ 'text/html': '<u>u</u>' }) });
    expect(shown).toHaveLength(0);
    await settled();
    expect(shown[0]!.bundle).toMatchObject({ 'text/html': '<u>u</u>' });
  });

  it('clears output now or on the next output', () => {
    const { clear_output, clears } = recorder();
    clear_output();
    clear_output({ wait: true });
    expect(clears).toEqual([false, true]);
  });
});
