// A small line chart as SVG text: categories along x, one line per series, a legend; no library, so the chart in the
// docs is as plain to diff as the table beside it.

export interface Series {
  name: string;
  /** One value per category; null where the series has no value (shown as a gap). */
  values: (number | null)[];
  dashed?: boolean;
  /** A colour of its own, so a candidate looks the same in every chart. */
  color?: string;
}

export interface LineChart {
  title: string;
  categories: string[];
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Logarithmic y axis, for values spanning orders of magnitude. */
  logY?: boolean;
}

const COLORS = ['#444444', '#c0392b', '#e67e22', '#8e44ad', '#2980b9', '#16a085', '#7f8c8d', '#27ae60'];
const WIDTH = 820;
const HEIGHT = 380;
const PLOT = { left: 70, right: 560, top: 40, bottom: 320 };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round step for about five ticks up to `max`. */
function linearTicks(max: number): number[] {
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let tick = 0; tick <= max + step / 2; tick += step) ticks.push(tick);
  return ticks;
}

function label(value: number): string {
  if (value >= 1e6) return `${+(value / 1e6).toPrecision(3)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toPrecision(3)}k`;
  return `${+value.toPrecision(3)}`;
}

/** Renders the chart. */
export function renderLineChart(chart: LineChart): string {
  const values = chart.series.flatMap((s) => s.values).filter((v): v is number => v !== null && v > 0);
  const max = Math.max(...values, 1e-9);
  let ticks: number[];
  let y: (v: number) => number;
  if (chart.logY) {
    const low = 10 ** Math.floor(Math.log10(Math.min(...values)));
    const high = 10 ** Math.ceil(Math.log10(max));
    ticks = [];
    for (let t = low; t <= high * 1.001; t *= 10) ticks.push(t);
    y = (v) => PLOT.bottom - ((Math.log10(v) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * (PLOT.bottom - PLOT.top);
  } else {
    ticks = linearTicks(max * 1.05);
    const top = ticks[ticks.length - 1];
    y = (v) => PLOT.bottom - (v / top) * (PLOT.bottom - PLOT.top);
  }
  const step = (PLOT.right - PLOT.left) / Math.max(1, chart.categories.length - 1);
  const x = (i: number) => PLOT.left + i * step;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PLOT.left}" y="22" font-size="15" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  for (const tick of ticks) {
    parts.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${PLOT.left - 8}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end" fill="#555">${label(tick)}</text>`);
  }
  chart.categories.forEach((category, i) =>
    parts.push(`<text x="${x(i)}" y="${PLOT.bottom + 18}" text-anchor="middle" fill="#555">${escape(category)}</text>`),
  );
  parts.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${PLOT.bottom}" y2="${PLOT.bottom}" stroke="#999"/>`);
  parts.push(`<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 42}" text-anchor="middle">${escape(chart.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`);
  chart.series.forEach((series, s) => {
    const color = series.color ?? COLORS[s % COLORS.length];
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    let path = '';
    series.values.forEach((v, i) => {
      if (v === null || (chart.logY && v <= 0)) return;
      path += `${path && series.values[i - 1] !== null ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)} `;
      parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${color}"/>`);
    });
    parts.push(`<path d="${path.trim()}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    const ly = PLOT.top + 6 + s * 20;
    parts.push(`<line x1="${PLOT.right + 20}" x2="${PLOT.right + 44}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${PLOT.right + 50}" y="${ly + 4}">${escape(series.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
