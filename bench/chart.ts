// Draws bench/chart.svg from results.json: server CPU and bytes received against file size, direct vs proxied. No chart library.
import type { UploadSummary } from './uploads';

const WIDTH = 960;
const HEIGHT = 400;
const PANEL = { width: 370, height: 260, top: 70 };
const LEFTS = [80, 560];
const SERIES = {
  direct: { label: 'direct (presigned URL)', color: '#1f77b4', marker: 'circle' },
  proxied: { label: 'proxied (busboy → lib-storage Upload)', color: '#d95f02', marker: 'square' },
} as const;

const MiB = 1024 * 1024;

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A log scale over [min, max] with the domain widened to whole powers of `base`. */
function logScale(min: number, max: number, base: number, pixels: number) {
  const lo = Math.floor(Math.log(min) / Math.log(base) + 1e-9);
  const hi = Math.ceil(Math.log(max) / Math.log(base) - 1e-9);
  const top = hi === lo ? hi + 1 : hi;
  return {
    at: (value: number) => ((Math.log(value) / Math.log(base) - lo) / (top - lo)) * pixels,
    ticks: Array.from({ length: top - lo + 1 }, (_, i) => base ** (lo + i)),
  };
}

const formatBytes = (value: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
};
const formatMs = (value: number): string => (value >= 1000 ? `${Number((value / 1000).toPrecision(3))} s` : `${Number(value.toPrecision(3))} ms`);

interface Panel {
  title: string;
  value: (row: UploadSummary) => number;
  base: number;
  format: (value: number) => string;
}

function panel(rows: UploadSummary[], left: number, spec: Panel): string {
  const { width, height, top } = PANEL;
  const sizes = [...new Set(rows.map((row) => row.size))].sort((a, b) => a - b);
  const values = rows.map(spec.value).map((v) => Math.max(v, 1e-3));
  // File sizes are spread evenly on a log2 axis (1, 64, 512 MiB); half a step of padding keeps markers off the frame.
  const x = logScale(sizes[0], sizes[sizes.length - 1], 2, width);
  const pad = width * 0.06;
  const px = (size: number) => left + pad + x.at(size) * ((width - 2 * pad) / width);
  const y = logScale(Math.min(...values), Math.max(...values), spec.base, height);
  // Room above and below the outermost ticks for the value labels.
  const padY = height * 0.07;
  const py = (value: number) => top + height - padY - y.at(Math.max(value, 1e-3)) * ((height - 2 * padY) / height);

  const parts: string[] = [];
  parts.push(`<text x="${left + width / 2}" y="${top - 14}" text-anchor="middle" font-weight="bold">${escape(spec.title)}</text>`);
  for (const tick of y.ticks) {
    parts.push(`<line x1="${left}" x2="${left + width}" y1="${py(tick)}" y2="${py(tick)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${py(tick) + 4}" text-anchor="end" font-size="11">${escape(spec.format(tick))}</text>`);
  }
  for (const size of sizes) {
    parts.push(`<line x1="${px(size)}" x2="${px(size)}" y1="${top}" y2="${top + height}" stroke="#eee"/>`);
    parts.push(`<text x="${px(size)}" y="${top + height + 16}" text-anchor="middle" font-size="11">${size / MiB} MiB</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${left + width / 2}" y="${top + height + 34}" text-anchor="middle" font-size="12">file size (log scale)</text>`);

  for (const mode of ['direct', 'proxied'] as const) {
    const series = SERIES[mode];
    const points = sizes.map((size) => {
      const row = rows.find((r) => r.mode === mode && r.size === size) as UploadSummary;
      return { x: px(size), y: py(spec.value(row)), value: spec.value(row) };
    });
    parts.push(`<polyline fill="none" stroke="${series.color}" stroke-width="2" points="${points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')}"/>`);
    for (const point of points) {
      parts.push(
        series.marker === 'circle'
          ? `<circle cx="${point.x.toFixed(1)}" cy="${point.y.toFixed(1)}" r="4.5" fill="${series.color}"/>`
          : `<rect x="${(point.x - 4.5).toFixed(1)}" y="${(point.y - 4.5).toFixed(1)}" width="9" height="9" fill="${series.color}"/>`,
      );
      // Labels go above proxied points and below direct ones, so the two series never write over each other.
      const dy = mode === 'proxied' ? -9 : 17;
      parts.push(`<text x="${point.x.toFixed(1)}" y="${(point.y + dy).toFixed(1)}" text-anchor="middle" font-size="10.5" fill="${series.color}">${escape(spec.format(point.value))}</text>`);
    }
  }
  return parts.join('\n');
}

/** The whole SVG document for the upload part of results.json. */
export function renderChart(rows: UploadSummary[], caption: string): string {
  const legend = (['direct', 'proxied'] as const)
    .map((mode, i) => {
      const series = SERIES[mode];
      const lx = 80 + i * 300;
      const marker =
        series.marker === 'circle' ? `<circle cx="${lx + 6}" cy="27" r="4.5" fill="${series.color}"/>` : `<rect x="${lx + 1.5}" y="22.5" width="9" height="9" fill="${series.color}"/>`;
      return `<line x1="${lx - 6}" x2="${lx + 18}" y1="27" y2="27" stroke="${series.color}" stroke-width="2"/>${marker}<text x="${lx + 26}" y="31" font-size="12">${escape(series.label)}</text>`;
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="13">`,
    `<title>App server cost per upload: direct vs proxied</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    legend,
    panel(rows, LEFTS[0], { title: 'App server CPU time per upload', value: (row) => row.cpuMs, base: 10, format: formatMs }),
    panel(rows, LEFTS[1], { title: 'Bytes the app server received per upload', value: (row) => row.bytesReceived, base: 1024, format: formatBytes }),
    `<text x="${WIDTH / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="11" fill="#555">${escape(caption)}</text>`,
    `</svg>`,
    '',
  ].join('\n');
}

export { formatBytes, formatMs };
