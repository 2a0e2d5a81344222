/**
 * Hand-written SVG charts: stacked/grouped bar charts and line charts with axes, ticks,
 * a legend and optional vertical markers. Pure (strings in, a string out): no DOM, no
 * browser, no chart library; every element carries a class naming its series
 * (`series-<key>`) so tests and stylesheets can find it. Text is XML-escaped here and
 * nowhere else. The output is deterministic: numbers are printed with at most 2 decimals.
 */

/** One stacked segment kind of a bar chart, e.g. `{key: 'normal', label: 'normal pages'}`. */
export interface StackSeries {
  key: string;
  label: string;
  color: string;
}

/** One group of bars at one x category (e.g. a round); one bar per group member (e.g. a run). */
export interface BarGroup {
  category: string;
  /** bars[i] belongs to the i-th member; each bar's values are per StackSeries key. */
  bars: { member: string; values: Record<string, number> }[];
}

export interface BarChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: StackSeries[];
  /** Members (runs) in bar order within a group; drawn with decreasing opacity hatching by index. */
  members: string[];
  groups: BarGroup[];
}

export interface LineSeries {
  key: string;
  label: string;
  color: string;
  points: { x: number; y: number }[];
}

export interface Marker {
  /** Series the marker belongs to (`marker-<key>` class). */
  key: string;
  x: number;
  label: string;
  color: string;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  markers?: Marker[];
  /** Categorical x axis: tick labels at x = 0, 1, … (points use the index as x). */
  xCategories?: string[];
  /** Draw a dot at every point (useful for sparse sweeps). */
  dots?: boolean;
}

/** The palette the plots use, colour-blind safe (Okabe–Ito). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'] as const;

const WIDTH = 800;
const HEIGHT = 420;
const MARGIN = { top: 40, right: 180, bottom: 56, left: 84 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

/** Escapes text for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // Control characters are not allowed in XML 1.0 (except tab, LF, CR): drop them.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');
}

/** A class-safe token for a key (run labels may contain `+`, `/`, spaces). */
export function classToken(key: string): string {
  return key.replace(/[^A-Za-z0-9_-]/g, '_');
}

function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** "Nice" tick values covering [min, max]: steps of 1, 2 or 5 × 10^k, about `count` ticks. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) {
    max = min + 1;
  }
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  // From the step at or below min to the first step at or above max, so nothing is clipped.
  const first = Math.floor(min / step);
  const last = Math.max(first + 1, Math.ceil(max / step - 1e-9));
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/** Tick text: 1.5k, 2M, 3G, … (SI, base 10) for large numbers; plain for small. */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of units) {
    if (abs >= scale) return `${Number((value / scale).toPrecision(3))}${suffix}`;
  }
  return String(Number(value.toPrecision(3)));
}

function header(title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect class="background" x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text class="chart-title" x="${WIDTH / 2 - MARGIN.right / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
}

function axes(xLabel: string, yLabel: string, yTicks: number[], yScale: (v: number) => number): string[] {
  const out: string[] = [];
  const x0 = MARGIN.left;
  const y0 = MARGIN.top + PLOT_H;
  out.push(`<g class="y-axis">`);
  for (const tick of yTicks) {
    const y = yScale(tick);
    out.push(`<line x1="${x0}" y1="${num(y)}" x2="${x0 + PLOT_W}" y2="${num(y)}" stroke="#e0e0e0"/>`);
    out.push(`<text class="tick" x="${x0 - 6}" y="${num(y + 4)}" text-anchor="end">${escapeXml(formatTick(tick))}</text>`);
  }
  out.push(`</g>`);
  out.push(`<line class="axis" x1="${x0}" y1="${y0}" x2="${x0 + PLOT_W}" y2="${y0}" stroke="#333"/>`);
  out.push(`<line class="axis" x1="${x0}" y1="${MARGIN.top}" x2="${x0}" y2="${y0}" stroke="#333"/>`);
  out.push(`<text class="axis-label x-label" x="${x0 + PLOT_W / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(
    `<text class="axis-label y-label" x="18" y="${MARGIN.top + PLOT_H / 2}" text-anchor="middle" transform="rotate(-90 18 ${MARGIN.top + PLOT_H / 2})">${escapeXml(yLabel)}</text>`,
  );
  return out;
}

function legend(entries: { key: string; label: string; color: string; dashed?: boolean; opacity?: number }[]): string[] {
  const out: string[] = [`<g class="legend">`];
  const x = WIDTH - MARGIN.right + 16;
  entries.forEach((entry, index) => {
    const y = MARGIN.top + 8 + index * 20;
    const opacity = entry.opacity !== undefined ? ` fill-opacity="${num(entry.opacity)}"` : '';
    out.push(`<rect class="legend-swatch" x="${x}" y="${y - 9}" width="12" height="12" fill="${entry.color}"${opacity}/>`);
    out.push(`<text class="legend-label" x="${x + 18}" y="${y + 1}">${escapeXml(entry.label)}</text>`);
  });
  out.push(`</g>`);
  return out;
}

function memberOpacity(index: number, count: number): number {
  return count <= 1 ? 1 : 1 - (0.55 * index) / (count - 1);
}

/**
 * A grouped, stacked bar chart: one group per category, one bar per member inside it,
 * each bar stacked by series. Each segment is `<rect class="bar series-<key> member-<m>">`;
 * zero-height segments are omitted. Allocates the output string only.
 */
export function renderBarChart(spec: BarChartSpec): string {
  let maxTotal = 0;
  for (const group of spec.groups) {
    for (const bar of group.bars) {
      let total = 0;
      for (const s of spec.series) total += Math.max(0, bar.values[s.key] ?? 0);
      maxTotal = Math.max(maxTotal, total);
    }
  }
  const yTicks = niceTicks(0, maxTotal);
  const yMax = yTicks[yTicks.length - 1];
  const yScale = (v: number): number => MARGIN.top + PLOT_H - (v / yMax) * PLOT_H;
  const out = header(spec.title);
  out.push(...axes(spec.xLabel, spec.yLabel, yTicks, yScale));

  const groupCount = Math.max(1, spec.groups.length);
  const groupW = PLOT_W / groupCount;
  const memberCount = Math.max(1, spec.members.length);
  const barW = (groupW * 0.8) / memberCount;
  const labelEvery = Math.max(1, Math.ceil(groupCount / 20));
  out.push(`<g class="bars">`);
  spec.groups.forEach((group, g) => {
    const gx = MARGIN.left + g * groupW + groupW * 0.1;
    for (const bar of group.bars) {
      const m = Math.max(0, spec.members.indexOf(bar.member));
      const x = gx + m * barW;
      let base = 0;
      for (const s of spec.series) {
        const value = Math.max(0, bar.values[s.key] ?? 0);
        if (value === 0) continue;
        const yTop = yScale(base + value);
        const h = yScale(base) - yTop;
        out.push(
          `<rect class="bar series-${classToken(s.key)} member-${classToken(bar.member)}" x="${num(x)}" y="${num(yTop)}" width="${num(Math.max(0.5, barW - 1))}" height="${num(h)}" fill="${s.color}" fill-opacity="${num(memberOpacity(m, memberCount))}"><title>${escapeXml(`${bar.member} ${group.category}: ${value} ${s.label}`)}</title></rect>`,
        );
        base += value;
      }
    }
    if (g % labelEvery === 0) {
      out.push(`<text class="tick x-tick" x="${num(MARGIN.left + (g + 0.5) * groupW)}" y="${MARGIN.top + PLOT_H + 16}" text-anchor="middle">${escapeXml(group.category)}</text>`);
    }
  });
  out.push(`</g>`);
  const entries: { key: string; label: string; color: string; opacity?: number }[] = spec.series.map((s) => ({ key: s.key, label: s.label, color: s.color }));
  if (spec.members.length > 1) {
    spec.members.forEach((member, m) => entries.push({ key: member, label: `bar ${m + 1}: ${member}`, color: '#666666', opacity: memberOpacity(m, memberCount) }));
  }
  out.push(...legend(entries));
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}

/**
 * A line chart: one `<path class="line series-<key>">` per series (a series without
 * points draws nothing), optional dots, and vertical markers
 * (`<line class="marker marker-<key>">`) with a label.
 */
export function renderLineChart(spec: LineChartSpec): string {
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x)).concat((spec.markers ?? []).map((m) => m.x));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p.y));
  const categorical = spec.xCategories !== undefined;
  const xMin = categorical ? 0 : xs.length > 0 ? Math.min(0, ...xs) : 0;
  let xMax = categorical ? Math.max(1, spec.xCategories!.length - 1) : xs.length > 0 ? Math.max(...xs) : 1;
  if (!(xMax > xMin)) xMax = xMin + 1;
  const yTicks = niceTicks(Math.min(0, ...ys), ys.length > 0 ? Math.max(...ys) : 1);
  const yMin = yTicks[0];
  const yMax = yTicks[yTicks.length - 1];
  const xTicks = categorical ? spec.xCategories!.map((_, index) => index) : niceTicks(xMin, xMax);
  const xHi = categorical ? xMax : Math.max(xMax, xTicks[xTicks.length - 1]);
  const xScale = (v: number): number => MARGIN.left + (categorical ? 0.05 * PLOT_W : 0) + ((v - xMin) / (xHi - xMin)) * PLOT_W * (categorical ? 0.9 : 1);
  const yScale = (v: number): number => MARGIN.top + PLOT_H - ((v - yMin) / (yMax - yMin)) * PLOT_H;

  const out = header(spec.title);
  out.push(...axes(spec.xLabel, spec.yLabel, yTicks, yScale));
  out.push(`<g class="x-axis">`);
  for (const tick of xTicks) {
    if (!categorical && tick > xHi + 1e-9) continue;
    const label = categorical ? spec.xCategories![tick] : formatTick(tick);
    out.push(`<text class="tick x-tick" x="${num(xScale(tick))}" y="${MARGIN.top + PLOT_H + 16}" text-anchor="middle">${escapeXml(label)}</text>`);
  }
  out.push(`</g>`);
  out.push(`<g class="lines">`);
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, index) => `${index === 0 ? 'M' : 'L'}${num(xScale(p.x))} ${num(yScale(p.y))}`).join(' ');
    out.push(`<path class="line series-${classToken(s.key)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"><title>${escapeXml(s.label)}</title></path>`);
    if (spec.dots === true) {
      for (const p of s.points) {
        out.push(`<circle class="dot series-${classToken(s.key)}" cx="${num(xScale(p.x))}" cy="${num(yScale(p.y))}" r="3" fill="${s.color}"/>`);
      }
    }
  }
  out.push(`</g>`);
  const markers = spec.markers ?? [];
  if (markers.length > 0) {
    out.push(`<g class="markers">`);
    markers.forEach((marker, index) => {
      const x = xScale(marker.x);
      out.push(
        `<line class="marker marker-${classToken(marker.key)}" x1="${num(x)}" y1="${MARGIN.top}" x2="${num(x)}" y2="${MARGIN.top + PLOT_H}" stroke="${marker.color}" stroke-dasharray="4 3"/>`,
      );
      // Labels right of a marker, or left of it in the right third, so they stay in the plot.
      const leftOf = x > MARGIN.left + (PLOT_W * 2) / 3;
      out.push(
        `<text class="marker-label" x="${num(leftOf ? x - 3 : x + 3)}" y="${MARGIN.top + 12 + index * 13}" text-anchor="${leftOf ? 'end' : 'start'}" fill="${marker.color}" font-size="10">${escapeXml(marker.label)}</text>`,
      );
    });
    out.push(`</g>`);
  }
  out.push(...legend(spec.series.map((s) => ({ key: s.key, label: s.label, color: s.color }))));
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}
