// Part 1: directUpload()'s GET and POST /uploads against no-op routes of the same method, with and without auth.
import autocannon from 'autocannon';
import { ROUTES, type BenchServer } from './processes';

/** One loaded route: the method, and whether it is the presign route or its no-op baseline, with auth or without. */
export interface RouteCase {
  name: string;
  method: 'GET' | 'POST';
  route: 'uploads' | 'noop';
  authenticated: boolean;
}

export const CASES: RouteCase[] = (['GET', 'POST'] as const).flatMap((method) =>
  [true, false].flatMap((authenticated) =>
    (['uploads', 'noop'] as const).map((route) => ({ name: `${method} ${authenticated ? '' : 'open '}${route}`, method, route, authenticated })),
  ),
);

/** Medians over rounds. cpuUsPerRequest: the app server's CPU (all threads), less sensitive than req/s to other tenants. */
export type RouteSummary = { requestsPerSecond: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number; perRound: number[] };

/** presign ÷ no-op of the same method and authentication: the median of per-round req/s ratios, their range, and by CPU. */
export type RouteRatio = { method: 'GET' | 'POST'; authenticated: boolean; median: number; perRound: number[]; byCpu: number };

export type RouteCostResult = { connections: number; secondsPerRun: number; rounds: number; summary: Record<string, RouteSummary>; ratios: RouteRatio[] };

export const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The upload every request asks for: in the query string for GET (the AWS sample's form), as JSON for POST. */
const UPLOAD = { filename: 'holiday.jpg', contentType: 'image/jpeg', size: '2345678' };

async function load(server: BenchServer, c: RouteCase, token: string, connections: number, duration: number): Promise<autocannon.Result> {
  const path = `${c.authenticated ? '' : ROUTES.open}${ROUTES[c.route]}`;
  const headers: Record<string, string> = c.authenticated ? { authorization: `Bearer ${token}` } : {};
  const request: autocannon.Options =
    c.method === 'GET'
      ? { url: server.url(`${path}?${new URLSearchParams(UPLOAD)}`), headers }
      : { url: server.url(path), method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ ...UPLOAD, size: Number(UPLOAD.size) }) };
  const result = await autocannon({ ...request, connections, duration });
  // A benchmark of error responses would be meaningless (and flattering): any failure stops the bench.
  if (result.non2xx || result.errors || result.timeouts) throw new Error(`${c.name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return result;
}

export async function measureRouteCost(
  server: BenchServer,
  settings: { token: string; connections: number; secondsPerRun: number; rounds: number; log: (line: string) => void },
): Promise<RouteCostResult> {
  const { token, connections, secondsPerRun, rounds } = settings;
  // Warm-up: JIT, the JWKS fetch of each auth() instance, keep-alive sockets. Not recorded.
  for (const c of CASES) await load(server, c, token, connections, 2);
  const runs = new Map(CASES.map((c) => [c.name, [] as Array<{ rps: number; p50: number; p99: number; cpuUs: number }>]));
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first, so a slow patch of the shared machine does not always land on the same route.
    for (const c of CASES.map((_, i) => CASES[(i + round) % CASES.length])) {
      await server.meterStart();
      const result = await load(server, c, token, connections, secondsPerRun);
      const reading = await server.meterStop();
      const run = { rps: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, cpuUs: (reading.cpuMs * 1000) / result['2xx'] };
      (runs.get(c.name) as typeof run[]).push(run);
      settings.log(`  round ${round + 1}/${rounds} ${c.name.padEnd(17)} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  server CPU ${run.cpuUs.toFixed(0)} µs/req`);
    }
  }
  const summary: Record<string, RouteSummary> = {};
  for (const [name, mine] of runs) {
    const mid = (value: (run: (typeof mine)[number]) => number) => median(mine.map(value));
    summary[name] = { requestsPerSecond: mid((r) => r.rps), p50Ms: mid((r) => r.p50), p99Ms: mid((r) => r.p99), cpuUsPerRequest: mid((r) => r.cpuUs), perRound: mine.map((r) => r.rps) };
  }
  const ratios = CASES.filter((c) => c.route === 'uploads').map((c): RouteRatio => {
    const [presign, noop] = [summary[c.name], summary[c.name.replace('uploads', 'noop')]];
    const perRound = presign.perRound.map((rps, round) => rps / noop.perRound[round]);
    return { method: c.method, authenticated: c.authenticated, median: median(perRound), perRound, byCpu: noop.cpuUsPerRequest / presign.cpuUsPerRequest };
  });
  return { connections, secondsPerRun, rounds, summary, ratios };
}
