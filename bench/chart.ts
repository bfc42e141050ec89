/**
 * A hand-written SVG chart of the benchmark: grouped bars of deliveries per second and of
 * p99 latency, one group per run (scenario) and one bar per server, on log scales.
 *
 * Regenerate the chart from a results file without rerunning the benchmark:
 *
 * ```sh
 * deno run -A bench/chart.ts bench/results/results.json bench/results/chart.svg
 * ```
 *
 * @module
 */

/**
 * One bar of each panel: a run of one server.
 *
 * @example
 * ```ts
 * import type { ChartRow } from "./chart.ts";
 *
 * const row: ChartRow = { run: "burst", server: "ceiling", deliveriesPerSec: 5.3e6, p99Ms: 110 };
 * ```
 */
export interface ChartRow {
  /** The group (a run of a scenario), e.g. `"burst"`. */
  run: string;
  /** The server, one colour per server. */
  server: string;
  /** Deliveries per second, or `null` when the run gave none. */
  deliveriesPerSec: number | null;
  /** 99th-percentile latency in milliseconds, or `null` when the run gave none. */
  p99Ms: number | null;
  /** Deliveries lost; a bar with losses is drawn faded. @default {0} */
  lost?: number;
}

/**
 * Options for {@linkcode renderChart}.
 *
 * @example
 * ```ts
 * import type { ChartOptions } from "./chart.ts";
 *
 * const options: ChartOptions = { title: "groupchat bench, 2 cores" };
 * ```
 */
export interface ChartOptions {
  /** A line above the chart. @default {"groupchat bench"} */
  title?: string;
}

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948"];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const MARGIN_LEFT = 90;
const MARGIN_RIGHT = 24;
const TITLE_HEIGHT = 36;
const LEGEND_HEIGHT = 28;
const PANEL_TITLE_HEIGHT = 26;
const PLOT_HEIGHT = 240;
/** Room above the highest bar for its value label. */
const LABEL_HEADROOM = 56;
const GROUP_LABEL_HEIGHT = 34;
const PANEL_GAP = 18;
const BAR_WIDTH = 22;
const BAR_GAP = 3;
const GROUP_GAP = 30;
const MIN_WIDTH = 720;
const LEGEND_ITEM_WIDTH = 120;
const LOSSY_OPACITY = 0.4;

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** 1234567 → "1.2M", 0.5 → "0.5". */
function compact(value: number): string {
  const units: [number, string][] = [[1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [scale, unit] of units) {
    if (value >= scale) {
      const scaled = value / scale;
      return `${scaled >= 100 ? scaled.toFixed(0) : Number(scaled.toPrecision(2))}${unit}`;
    }
  }
  if (value >= 100) return value.toFixed(0);
  if (value >= 1) return String(Number(value.toPrecision(2)));
  return String(Number(value.toPrecision(1)));
}

/** 0.5 → "0.5 ms", 2500 → "2.5 s". */
function duration(ms: number): string {
  return ms >= 1000 ? `${compact(ms / 1000)} s` : `${compact(ms)} ms`;
}

interface Panel {
  title: string;
  format: (value: number) => string;
  value: (row: ChartRow) => number | null;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function renderPanel(
  panel: Panel,
  rows: ChartRow[],
  runs: string[],
  servers: string[],
  top: number,
  width: number,
): string {
  const parts: string[] = [];
  const plotTop = top + PANEL_TITLE_HEIGHT;
  const plotBottom = plotTop + PLOT_HEIGHT;
  const plotRight = width - MARGIN_RIGHT;
  parts.push(
    `<text x="${MARGIN_LEFT}" y="${top + 18}" ${FONT} font-size="15" font-weight="bold">` +
      `${escapeXml(panel.title)}</text>`,
  );
  const values = rows.map(panel.value).filter((v): v is number => v !== null && v > 0);
  if (values.length === 0) {
    parts.push(
      `<text x="${(MARGIN_LEFT + plotRight) / 2}" y="${(plotTop + plotBottom) / 2}" ${FONT} ` +
        `font-size="13" text-anchor="middle" fill="#666">no data</text>`,
    );
    return parts.join("\n");
  }
  let low = Math.floor(Math.log10(Math.min(...values)));
  let high = Math.ceil(Math.log10(Math.max(...values)));
  if (high <= low) high = low + 1;
  if (Math.min(...values) === 10 ** low && low > -6) low -= 1;
  const y = (value: number) =>
    plotBottom -
    (Math.log10(value) - low) / (high - low) * (PLOT_HEIGHT - LABEL_HEADROOM);

  // Grid and axis labels, one per decade.
  for (let decade = low; decade <= high; decade++) {
    const gy = y(10 ** decade).toFixed(1);
    parts.push(
      `<line x1="${MARGIN_LEFT}" y1="${gy}" x2="${plotRight}" y2="${gy}" stroke="#ddd"/>`,
      `<text x="${MARGIN_LEFT - 8}" y="${gy}" ${FONT} font-size="12" text-anchor="end" ` +
        `dominant-baseline="middle" fill="#333">${panel.format(10 ** decade)}</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN_LEFT}" y1="${plotBottom}" x2="${plotRight}" y2="${plotBottom}" ` +
      `stroke="#333"/>`,
    `<text x="18" y="${(plotTop + plotBottom) / 2}" ${FONT} font-size="12" ` +
      `text-anchor="middle" fill="#333" transform="rotate(-90 18 ${(plotTop + plotBottom) / 2})">` +
      `log scale</text>`,
  );

  const groupWidth = servers.length * (BAR_WIDTH + BAR_GAP) - BAR_GAP;
  runs.forEach((run, g) => {
    const groupLeft = MARGIN_LEFT + GROUP_GAP / 2 + g * (groupWidth + GROUP_GAP);
    servers.forEach((server, s) => {
      const row = rows.find((r) => r.run === run && r.server === server);
      const x = groupLeft + s * (BAR_WIDTH + BAR_GAP);
      const cx = (x + BAR_WIDTH / 2).toFixed(1);
      const value = row ? panel.value(row) : null;
      if (value === null || value <= 0) {
        const ty = plotBottom - 4;
        parts.push(
          `<text x="${cx}" y="${ty}" ${FONT} font-size="10" fill="#999" ` +
            `transform="rotate(-90 ${cx} ${ty})">n/a</text>`,
        );
        return;
      }
      const barTop = Math.min(y(value), plotBottom - 1);
      const color = COLORS[s % COLORS.length];
      const label = panel.format(value);
      const lossy = (row?.lost ?? 0) > 0;
      const ty = (barTop - 4).toFixed(1);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${barTop.toFixed(1)}" width="${BAR_WIDTH}" ` +
          `height="${(plotBottom - barTop).toFixed(1)}" fill="${color}"` +
          `${lossy ? ` fill-opacity="${LOSSY_OPACITY}"` : ""}>` +
          `<title>${
            escapeXml(`${run}, ${server}: ${label}${lossy ? `, lost ${row?.lost}` : ""}`)
          }` +
          `</title></rect>`,
        `<text x="${cx}" y="${ty}" ${FONT} font-size="11" fill="#222" dominant-baseline="middle" ` +
          `transform="rotate(-90 ${cx} ${ty})">${escapeXml(label)}</text>`,
      );
    });
    parts.push(
      `<text x="${(groupLeft + groupWidth / 2).toFixed(1)}" y="${plotBottom + 20}" ${FONT} ` +
        `font-size="13" text-anchor="middle" fill="#222">${escapeXml(run)}</text>`,
    );
  });
  return parts.join("\n");
}

/**
 * Renders grouped bar charts of deliveries per second and p99 latency as one SVG document.
 *
 * @example
 * ```ts
 * import { renderChart } from "./chart.ts";
 *
 * const svg = renderChart([
 *   { run: "burst", server: "threaded", deliveriesPerSec: 2.1e6, p99Ms: 120 },
 *   { run: "burst", server: "ceiling", deliveriesPerSec: 5.3e6, p99Ms: 110 },
 * ], { title: "example" });
 * console.log(svg.startsWith("<svg"));
 * ```
 *
 * @param rows One row per run and server; groups and colours keep the order of first mention.
 * @param options The title.
 * @returns The SVG text.
 */
export function renderChart(rows: ChartRow[], options: ChartOptions = {}): string {
  const runs = unique(rows.map((row) => row.run));
  const servers = unique(rows.map((row) => row.server));
  const groupWidth = Math.max(1, servers.length) * (BAR_WIDTH + BAR_GAP) - BAR_GAP;
  const width = Math.max(
    MIN_WIDTH,
    MARGIN_LEFT + runs.length * (groupWidth + GROUP_GAP) + MARGIN_RIGHT,
  );
  const panelHeight = PANEL_TITLE_HEIGHT + PLOT_HEIGHT + GROUP_LABEL_HEIGHT;
  const firstTop = TITLE_HEIGHT + LEGEND_HEIGHT;
  const height = firstTop + 2 * panelHeight + PANEL_GAP;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${MARGIN_LEFT}" y="24" ${FONT} font-size="17" font-weight="bold">` +
    `${escapeXml(options.title ?? "groupchat bench")}</text>`,
  ];
  servers.forEach((server, s) => {
    const x = MARGIN_LEFT + s * LEGEND_ITEM_WIDTH;
    const ly = TITLE_HEIGHT + 6;
    parts.push(
      `<rect x="${x}" y="${ly}" width="14" height="14" fill="${COLORS[s % COLORS.length]}"/>`,
      `<text x="${x + 20}" y="${ly + 7}" ${FONT} font-size="13" dominant-baseline="middle">` +
        `${escapeXml(server)}</text>`,
    );
  });
  const noteX = MARGIN_LEFT + Math.max(1, servers.length) * LEGEND_ITEM_WIDTH;
  parts.push(
    `<text x="${noteX}" y="${TITLE_HEIGHT + 13}" ${FONT} font-size="12" fill="#555" ` +
      `dominant-baseline="middle">faded bar: deliveries lost · n/a: skipped or failed</text>`,
  );
  parts.push(
    renderPanel(
      {
        title: "Deliveries per second (higher is better)",
        format: compact,
        value: (r) => r.deliveriesPerSec,
      },
      rows,
      runs,
      servers,
      firstTop,
      width,
    ),
    renderPanel(
      {
        title: "p99 latency, send to receipt (lower is better)",
        format: duration,
        value: (r) => r.p99Ms,
      },
      rows,
      runs,
      servers,
      firstTop + panelHeight + PANEL_GAP,
      width,
    ),
    "</svg>",
  );
  return parts.join("\n") + "\n";
}

interface ResultsFile {
  runs: {
    run: string;
    server: string;
    load: {
      deliveries: number;
      deliveriesPerSec: number;
      lost: number;
      latencyMs: { p99: number | null };
    } | null;
  }[];
  machine?: { nproc?: number; cpuModel?: string; deno?: string };
  options?: { quick?: boolean };
}

if (import.meta.main) {
  const [input = "bench/results/results.json", output = "bench/results/chart.svg"] = Deno.args;
  const results = JSON.parse(await Deno.readTextFile(input)) as ResultsFile;
  const rows = results.runs.map((r) => ({
    run: r.run,
    server: r.server,
    deliveriesPerSec: r.load && r.load.deliveries > 0 ? r.load.deliveriesPerSec : null,
    p99Ms: r.load?.latencyMs.p99 ?? null,
    lost: r.load?.lost ?? 0,
  }));
  const m = results.machine ?? {};
  await Deno.writeTextFile(
    output,
    renderChart(rows, {
      title: `groupchat bench${results.options?.quick ? " (quick)" : ""}: ` +
        `${m.nproc ?? "?"} cores, ${m.cpuModel ?? "?"}, deno ${m.deno ?? "?"}`,
    }),
  );
  console.log(`wrote ${output}`);
}
