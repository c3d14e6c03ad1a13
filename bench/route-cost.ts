// Part 1: requests/s and latency of auth alone, directUpload()'s POST /uploads and a getSignedUrl() route, interleaved.
import autocannon from 'autocannon';
import { ROUTES } from './contract';
import type { BenchServer } from './processes';

export type RouteName = 'noop' | 'presign' | 'naive';

export interface RouteRun {
  route: RouteName;
  round: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RouteSummary {
  route: RouteName;
  /** Medians over rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Every round's requests/s, to show the spread. */
  perRound: number[];
}

export interface RouteCostResult {
  connections: number;
  secondsPerRun: number;
  rounds: number;
  runs: RouteRun[];
  summary: Record<RouteName, RouteSummary>;
  /** Median over rounds of the per-round ratio, so machine noise within a round cancels. */
  ratios: { presignOverNoop: number; presignOverNaive: number };
}

export interface RouteCostSettings {
  token: string;
  connections: number;
  secondsPerRun: number;
  rounds: number;
  warmupSeconds: number;
  log: (line: string) => void;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The body every route gets, so the three requests differ only in their path. */
const BODY = JSON.stringify({ filename: 'holiday.jpg', contentType: 'image/jpeg', size: 2_345_678 });

async function load(server: BenchServer, route: RouteName, token: string, connections: number, seconds: number): Promise<autocannon.Result> {
  const result = await autocannon({
    url: server.url(ROUTES[route]),
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: BODY,
    connections,
    duration: seconds,
  });
  // A benchmark of error responses would be meaningless (and flattering): any failure stops the bench.
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${route}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts in ${seconds}s`);
  }
  return result;
}

export async function measureRouteCost(server: BenchServer, settings: RouteCostSettings): Promise<RouteCostResult> {
  const order: RouteName[] = ['noop', 'presign', 'naive'];
  // Warm-up: JIT, the JWKS fetch of each auth() instance, keep-alive sockets. Not recorded.
  for (const route of order) await load(server, route, settings.token, settings.connections, settings.warmupSeconds);

  const runs: RouteRun[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    // Rotate who goes first, so a slow patch of the shared machine does not always land on the same route.
    const rotated = order.map((_, i) => order[(i + round) % order.length]);
    for (const route of rotated) {
      const result = await load(server, route, settings.token, settings.connections, settings.secondsPerRun);
      const run: RouteRun = {
        route,
        round,
        requestsPerSecond: result['2xx'] / result.duration,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
      };
      runs.push(run);
      settings.log(`  round ${round + 1}/${settings.rounds} ${route.padEnd(7)} ${run.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${run.p50Ms} ms  p99 ${run.p99Ms} ms`);
    }
  }

  const summarise = (route: RouteName): RouteSummary => {
    const mine = runs.filter((run) => run.route === route);
    return {
      route,
      requestsPerSecond: median(mine.map((run) => run.requestsPerSecond)),
      p50Ms: median(mine.map((run) => run.p50Ms)),
      p99Ms: median(mine.map((run) => run.p99Ms)),
      perRound: mine.map((run) => run.requestsPerSecond),
    };
  };
  const summary = { noop: summarise('noop'), presign: summarise('presign'), naive: summarise('naive') };
  const perRoundRatio = (over: RouteName) =>
    median(summary.presign.perRound.map((rps, round) => rps / summary[over].perRound[round]));
  return {
    connections: settings.connections,
    secondsPerRun: settings.secondsPerRun,
    rounds: settings.rounds,
    runs,
    summary,
    ratios: { presignOverNoop: perRoundRatio('noop'), presignOverNaive: perRoundRatio('naive') },
  };
}

export { median };
