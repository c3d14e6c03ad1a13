// Draws bench/chart.svg from the upload results: server CPU and bytes received against file size, direct vs proxied.
import type { UploadSummary } from './uploads';

const PANEL = { width: 370, height: 260, top: 70 };
const SERIES = [
  { mode: 'direct', label: 'direct (presigned URL)', color: '#1f77b4', square: false, labelDy: 17 },
  { mode: 'proxied', label: 'proxied (busboy → lib-storage Upload)', color: '#d95f02', square: true, labelDy: -9 },
] as const;

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const short = (value: number): number => Number(value.toPrecision(3));

export function formatBytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let unit = 0;
  for (; value >= 1024 && unit < units.length - 1; unit++) value /= 1024;
  return `${short(value)} ${units[unit]}`;
}
const formatMs = (value: number): string => (value >= 1000 ? `${short(value / 1000)} s` : `${short(value)} ms`);

/** A log scale from 0 to `pixels` over [min, max], widened to whole powers of `base`, with its ticks. */
function logScale(min: number, max: number, base: number, pixels: number) {
  const lo = Math.floor(Math.log(min) / Math.log(base) + 1e-9);
  const hi = Math.max(Math.ceil(Math.log(max) / Math.log(base) - 1e-9), lo + 1);
  return { at: (value: number) => ((Math.log(value) / Math.log(base) - lo) / (hi - lo)) * pixels, ticks: Array.from({ length: hi - lo + 1 }, (_, i) => base ** (lo + i)) };
}

const marker = (x: number, y: number, series: (typeof SERIES)[number]): string =>
  series.square ? `<rect x="${(x - 4.5).toFixed(1)}" y="${(y - 4.5).toFixed(1)}" width="9" height="9" fill="${series.color}"/>` : `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4.5" fill="${series.color}"/>`;

function panel(rows: UploadSummary[], left: number, title: string, value: (row: UploadSummary) => number, base: number, format: (v: number) => string): string[] {
  const { width, height, top } = PANEL;
  const sizes = [...new Set(rows.map((row) => row.size))].sort((a, b) => a - b);
  const values = rows.map((row) => Math.max(value(row), 1e-3));
  // Padding keeps markers and their labels off the frame.
  const [padX, padY] = [width * 0.06, height * 0.07];
  const x = logScale(sizes[0], sizes[sizes.length - 1], 2, width - 2 * padX);
  const y = logScale(Math.min(...values), Math.max(...values), base, height - 2 * padY);
  const px = (size: number) => left + padX + x.at(size);
  const py = (v: number) => top + height - padY - y.at(Math.max(v, 1e-3));
  const parts = [`<text x="${left + width / 2}" y="${top - 14}" text-anchor="middle" font-weight="bold">${escape(title)}</text>`];
  for (const tick of y.ticks) {
    parts.push(`<line x1="${left}" x2="${left + width}" y1="${py(tick)}" y2="${py(tick)}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${py(tick) + 4}" text-anchor="end" font-size="11">${escape(format(tick))}</text>`);
  }
  for (const size of sizes) {
    parts.push(`<line x1="${px(size)}" x2="${px(size)}" y1="${top}" y2="${top + height}" stroke="#eee"/>`, `<text x="${px(size)}" y="${top + height + 16}" text-anchor="middle" font-size="11">${formatBytes(size)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#888"/>`, `<text x="${left + width / 2}" y="${top + height + 34}" text-anchor="middle" font-size="12">file size (log scale)</text>`);
  for (const series of SERIES) {
    const points = sizes.map((size) => value(rows.find((row) => row.mode === series.mode && row.size === size) as UploadSummary)).map((v, i) => ({ x: px(sizes[i]), y: py(v), v }));
    parts.push(`<polyline fill="none" stroke="${series.color}" stroke-width="2" points="${points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')}"/>`);
    // Labels go above proxied points and below direct ones, so the two series never write over each other.
    for (const p of points) parts.push(marker(p.x, p.y, series), `<text x="${p.x.toFixed(1)}" y="${(p.y + series.labelDy).toFixed(1)}" text-anchor="middle" font-size="10.5" fill="${series.color}">${escape(format(p.v))}</text>`);
  }
  return parts;
}

/** The whole SVG document, 960 × 400, with a caption naming the machine. */
export function renderChart(rows: UploadSummary[], caption: string): string {
  const legend = SERIES.map((series, i) => {
    const lx = 80 + i * 300;
    return `<line x1="${lx - 6}" x2="${lx + 18}" y1="27" y2="27" stroke="${series.color}" stroke-width="2"/>${marker(lx + 6, 27, series)}<text x="${lx + 26}" y="31" font-size="12">${escape(series.label)}</text>`;
  });
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="960" height="400" viewBox="0 0 960 400" font-family="sans-serif" font-size="13">',
    '<title>App server cost per upload: direct vs proxied</title>',
    '<rect width="100%" height="100%" fill="#fff"/>',
    ...legend,
    ...panel(rows, 80, 'App server CPU time per upload', (row) => row.cpuMs, 10, formatMs),
    ...panel(rows, 560, 'Bytes the app server received per upload', (row) => row.bytesReceived, 1024, formatBytes),
    `<text x="480" y="392" text-anchor="middle" font-size="11" fill="#555">${escape(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
