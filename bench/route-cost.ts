// Part 1: requests/s and latency of auth alone, directUpload()'s POST /uploads and a getSignedUrl() route, interleaved.
import autocannon from 'autocannon';
import { ROUTES } from './contract';
import type { BenchServer } from './processes';

export type RouteName = 'noop' | 'presign' | 'naive' | 'json' | 'leanJson' | 'unsigned' | 'signed' | 'presignGet' | 'lean' | 'leanExpressJson' | 'leanResJson';

export interface RouteRun {
  route: RouteName;
  round: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** App server CPU time (user + system) per answered request, in µs: less sensitive to other tenants than req/s. */
  cpuUsPerRequest: number;
  /** The server's main thread alone (10 ms ticks): what bounds a single Node process's throughput. */
  mainThreadCpuUsPerRequest: number;
  /** The load generator's CPU time per answered request, in µs: on 2 cores it competes with the server. */
  clientCpuUsPerRequest: number;
}

export interface RouteSummary {
  route: RouteName;
  /** Medians over rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  mainThreadCpuUsPerRequest: number;
  clientCpuUsPerRequest: number;
  /** Every round's requests/s, to show the spread. */
  perRound: number[];
}

export interface RouteCostResult {
  connections: number;
  secondsPerRun: number;
  rounds: number;
  runs: RouteRun[];
  summary: Partial<Record<RouteName, RouteSummary>> & Record<'noop' | 'presign' | 'naive', RouteSummary>;
  /** Median over rounds of the per-round ratio, so machine noise within a round cancels. */
  ratios: { presignOverNoop: number; presignOverNaive: number };
  /** Every round's ratio, to show how much the shared machine moved them. */
  perRoundRatios: { presignOverNoop: number[]; presignOverNaive: number[] };
}

export interface RouteCostSettings {
  token: string;
  connections: number;
  secondsPerRun: number;
  rounds: number;
  warmupSeconds: number;
  /** Also load the diagnostic routes (json, unsigned). */
  decompose: boolean;
  /** For investigations: load only these routes (ratios then need noop, presign and naive among them). */
  only?: RouteName[];
  log: (line: string) => void;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The body every route gets, so the three requests differ only in their path. */
const BODY = JSON.stringify({ filename: 'holiday.jpg', contentType: 'image/jpeg', size: 2_345_678 });
const QUERY = new URLSearchParams({ filename: 'holiday.jpg', contentType: 'image/jpeg', size: '2345678' }).toString();

async function load(server: BenchServer, route: RouteName, token: string, connections: number, seconds: number): Promise<autocannon.Result> {
  // presignGet is the seed sample's GET /uploads?…: the same upload asked for in the query string, no body to read.
  const request: autocannon.Options =
    route === 'presignGet'
      ? { url: server.url(`${ROUTES.presign}?${QUERY}`), method: 'GET', headers: { authorization: `Bearer ${token}` } }
      : { url: server.url(ROUTES[route]), method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: BODY };
  const result = await autocannon({
    ...request,
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
  // The three compared routes, then the diagnostics that split presign's extra cost, all in the same rotation.
  const order: RouteName[] = settings.only ?? (settings.decompose ? ['noop', 'presign', 'naive', 'unsigned', 'presignGet', 'lean', 'leanExpressJson', 'leanResJson'] : ['noop', 'presign', 'naive']);
  // Warm-up: JIT, the JWKS fetch of each auth() instance, keep-alive sockets. Not recorded.
  for (const route of order) await load(server, route, settings.token, settings.connections, settings.warmupSeconds);

  const runs: RouteRun[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    // Rotate who goes first, so a slow patch of the shared machine does not always land on the same route.
    const rotated = order.map((_, i) => order[(i + round) % order.length]);
    for (const route of rotated) {
      await server.meterStart();
      const clientStart = process.cpuUsage();
      const result = await load(server, route, settings.token, settings.connections, settings.secondsPerRun);
      const client = process.cpuUsage(clientStart);
      const reading = await server.meterStop();
      const run: RouteRun = {
        route,
        round,
        requestsPerSecond: result['2xx'] / result.duration,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        cpuUsPerRequest: (reading.cpuMs * 1000) / result['2xx'],
        mainThreadCpuUsPerRequest: (reading.mainThreadCpuMs * 1000) / result['2xx'],
        clientCpuUsPerRequest: (client.user + client.system) / result['2xx'],
      };
      runs.push(run);
      settings.log(
        `  round ${round + 1}/${settings.rounds} ${route.padEnd(7)} ${run.requestsPerSecond.toFixed(0).padStart(6)} req/s  ` +
          `p50 ${run.p50Ms} ms  p99 ${run.p99Ms} ms  CPU/req server ${run.cpuUsPerRequest.toFixed(0)} µs (main thread ${run.mainThreadCpuUsPerRequest.toFixed(0)}), client ${run.clientCpuUsPerRequest.toFixed(0)} µs`,
      );
    }
  }

  const summarise = (route: RouteName): RouteSummary => {
    const mine = runs.filter((run) => run.route === route);
    return {
      route,
      requestsPerSecond: median(mine.map((run) => run.requestsPerSecond)),
      p50Ms: median(mine.map((run) => run.p50Ms)),
      p99Ms: median(mine.map((run) => run.p99Ms)),
      cpuUsPerRequest: median(mine.map((run) => run.cpuUsPerRequest)),
      mainThreadCpuUsPerRequest: median(mine.map((run) => run.mainThreadCpuUsPerRequest)),
      clientCpuUsPerRequest: median(mine.map((run) => run.clientCpuUsPerRequest)),
      perRound: mine.map((run) => run.requestsPerSecond),
    };
  };
  const summary = Object.fromEntries(order.map((route) => [route, summarise(route)])) as RouteCostResult['summary'];
  const roundRatios = (over: RouteName): number[] =>
    summary.presign && summary[over] ? summary.presign.perRound.map((rps, round) => rps / (summary[over] as RouteSummary).perRound[round]) : [];
  const perRoundRatios = { presignOverNoop: roundRatios('noop'), presignOverNaive: roundRatios('naive') };
  return {
    connections: settings.connections,
    secondsPerRun: settings.secondsPerRun,
    rounds: settings.rounds,
    runs,
    summary,
    ratios: {
      presignOverNoop: perRoundRatios.presignOverNoop.length ? median(perRoundRatios.presignOverNoop) : NaN,
      presignOverNaive: perRoundRatios.presignOverNaive.length ? median(perRoundRatios.presignOverNaive) : NaN,
    },
    perRoundRatios,
  };
}

export { median };
