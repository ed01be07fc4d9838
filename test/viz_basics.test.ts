import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { cellBackground, colorScaleExtent } from '../src/viz/colorScale.js';
import { dotAttributes, dotString, renderDotToSvg } from '../src/viz/graphviz.js';
import { decimate, lineChartSvg, niceTicks, tickText } from '../src/viz/lineChart.js';
import { live, setDisplayPublisher, type DisplayPublisher } from '../src/viz/live.js';
import { alignColumns, DISPLAY, escapeHtml, htmlTable, type MimeBundle } from '../src/viz/mime.js';

/** Fails unless the text is well-formed XML; returns the parsed document. */
function parseXml(text: string): Record<string, unknown> {
  const verdict = XMLValidator.validate(text);
  if (verdict !== true) throw new Error(`invalid XML: ${JSON.stringify(verdict.err)}`);
  return new XMLParser({ ignoreAttributes: false }).parse(text) as Record<string, unknown>;
}

describe('escaping and text tables', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
  });

  it('aligns columns two spaces apart without trailing blanks', () => {
    expect(alignColumns([['name', 'grad'], ['w', '80.'], ['bias', '']])).toBe('name  grad\nw     80.\nbias');
  });

  it('writes HTML tables with escaped headers and captions', () => {
    const html = htmlTable(['a<b'], [['<i>kept</i>']], 'x & y');
    expect(html).toContain('<th style="padding:2px 8px;text-align:left;vertical-align:top;font-family:monospace;white-space:pre;border-bottom:1px solid rgba(128, 128, 128, 0.3)">a&lt;b</th>');
    expect(html).toContain('<i>kept</i>');
    expect(html).toContain('x &amp; y</caption>');
    parseXml(html);
  });
});

describe('colour scale', () => {
  it('is transparent at 0 and strongest at the extent, blue below and red above', () => {
    const extent = colorScaleExtent([-2, 1, Number.NaN, Infinity]);
    expect(extent).toBe(2);
    expect(cellBackground(0, extent)).toBe('');
    expect(cellBackground(-2, extent)).toBe('rgba(59, 76, 192, 0.55)');
    expect(cellBackground(1, extent)).toBe('rgba(180, 4, 38, 0.275)');
    expect(cellBackground(Number.NaN, extent)).toBe('');
    expect(cellBackground(5, 0)).toBe('');
  });
});

describe('DOT quoting', () => {
  it('escapes quotes, backslashes (so \\N stays literal) and newlines', () => {
    expect(dotString('a "b"\\N\nc')).toBe('"a \\"b\\"\\\\N\\nc"');
    expect(dotAttributes({ label: 'x', fillcolor: 'orange' })).toBe(' [label="x", fillcolor="orange"]');
    expect(dotString('bell\u0007')).toBe('"bell "');
  });

  it('renders hostile labels into well-formed, standalone SVG', async () => {
    const label = `<script>alert("x")</script> & \\N 'q'`;
    const svg = await renderDotToSvg(`digraph { a${dotAttributes({ label })}; a -> b; }`);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<!DOCTYPE');
    const document = parseXml(svg);
    expect(document).toHaveProperty('svg');
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; \\N &#39;q&#39;');
  });
});

describe('line chart', () => {
  it('picks round ticks', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 97)).toEqual([20, 40, 60, 80]);
    expect(tickText(0.00001)).toBe('1.0e-5');
    expect(tickText(1500)).toBe('1500');
  });

  it('keeps spikes when decimating long runs', () => {
    const xs = Array.from({ length: 10_000 }, (_, index) => index);
    const ys = xs.map((x) => (x === 5_000 ? 100 : 1));
    const [keptXs, keptYs] = decimate(xs, ys, 200);
    expect(keptXs.length).toBeLessThanOrEqual(200);
    expect(keptYs).toContain(100);
    expect(keptXs[0]).toBe(0);
  });

  it('draws valid standalone SVG with escaped legend text, empty or not', () => {
    const empty = lineChartSvg([]);
    expect(empty).toContain('no data yet');
    parseXml(empty);
    const svg = lineChartSvg(
      [
        { name: 'loss <train>', xs: [1, 2, 3], ys: [4, 2, 1] },
        { name: 'val & test', xs: [1, 2, 3], ys: [5, Number.NaN, 2] },
      ],
      { xLabel: 'epoch', logY: true },
    );
    parseXml(svg);
    expect(svg).toContain('loss &lt;train&gt;');
    expect(svg).toContain('<rect x="0" y="0" width="480" height="220" fill="#ffffff"/>');
    expect(svg.match(/<polyline/g)).toHaveLength(2);
  });
});

describe('live view', () => {
  /** A clock the test moves by hand, and a publisher that records what it is sent. */
  function harness(): { now: { ms: number }; frames: { bundle: MimeBundle; target: { display_id: string; update: boolean } }[]; publish: DisplayPublisher } {
    const now = { ms: 0 };
    const frames: { bundle: MimeBundle; target: { display_id: string; update: boolean } }[] = [];
    return { now, frames, publish: (frame, target) => frames.push({ bundle: frame[DISPLAY]() as MimeBundle, target }) };
  }

  it('publishes one display, then throttled updates of the same display_id, and a final frame on close', () => {
    const { now, frames, publish } = harness();
    const view = live({ title: 'Fit <line>', publish, clock: () => now.ms });
    expect(frames).toHaveLength(1);
    expect(frames[0]!.target).toEqual({ display_id: view.display_id, update: false });
    expect(frames[0]!.bundle['text/plain']).toBe('Fit <line>: waiting for the first update');

    for (let epoch = 1; epoch <= 1000; epoch++) {
      now.ms += 1; // 1000 epochs per second, ten times faster than the 10 frames per second allowed
      view.update({ epoch, loss: 1 / epoch });
    }
    const published = frames.length;
    expect(frames[published - 1]!.bundle['text/plain']).toMatch(/ · 1000 epochs\/s$/);
    expect(published).toBeLessThanOrEqual(12);
    expect(published).toBeGreaterThanOrEqual(9);
    view.close();
    expect(frames).toHaveLength(published + 1);
    const last = frames[frames.length - 1]!;
    expect(last.target).toEqual({ display_id: view.display_id, update: true });
    expect(last.bundle['text/plain']).toBe('Fit <line>: epoch 1000 · loss 0.001 · done');
    expect(last.bundle['text/html']).toContain('Fit &lt;line&gt;');
    expect(last.bundle['text/html']).toContain('<polyline');
    parseXml(last.bundle['text/html']);
    expect(view[DISPLAY]()).toEqual(last.bundle);
    expect(() => view.update({ loss: 1 })).toThrow('closed');
  });

  it('sends the trailing frame once the loop yields, and counts epochs when none are given', async () => {
    const { frames, publish } = harness();
    const view = live({ publish, updates_per_second: 1000 });
    view.update({ loss: 3 });
    view.update({ loss: 2 });
    view.update({ loss: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(view.steps).toBe(3);
    expect(frames[frames.length - 1]!.bundle['text/plain']).toMatch(/^Training: epoch 3 · loss 1/);
  });

  it('uses the publisher the kernel registered when none is passed', () => {
    const { frames, publish } = harness();
    setDisplayPublisher(publish);
    try {
      const view = live();
      expect(frames[0]!.target.display_id).toBe(view.display_id);
    } finally {
      setDisplayPublisher(undefined);
    }
  });
});
