// `ts-node --transpile-only bench/profile.ts <route> [seconds]`: loads one route of a --cpu-prof'd server and lists where its CPU went.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startDevIssuer } from '../dev/issuer';
import { ROUTES } from './contract';
import { startBenchServer, stopAll } from './processes';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Groups a script URL by who owns it: a package, the middleware, node internals. */
function owner(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.includes('/middleware/')) return `middleware/${path.basename(url)}`;
  if (url.includes('/bench/')) return `bench/${path.basename(url)}`;
  if (url.startsWith('node:') || !url.includes('/')) return url ? 'node internals' : '(native, GC, idle)';
  return url;
}

/**
 * Stages of a request, each recognised by the innermost frame on the sample's stack that one of them claims, so a
 * stage's time includes the node:crypto and stream internals it calls. Async continuations keep their own
 * library's frames on the stack (raw-body's 'data' handler, jose's verify), which is what makes this work.
 */
const STAGES: Array<{ stage: string; matches: (frame: ProfileNode['callFrame']) => boolean }> = [
  { stage: 'sign URL (Presigner.presign)', matches: (f) => f.url.includes('/middleware/presigner') },
  { stage: 'sign URL (getSignedUrl, SDK)', matches: (f) => /node_modules\/@(aws-sdk|smithy)\//.test(f.url) },
  { stage: 'verify JWT (auth)', matches: (f) => /express-oauth2-jwt-bearer|node_modules\/jose\//.test(f.url) || f.url.includes('/middleware/auth') },
  { stage: 'read JSON body (express.json)', matches: (f) => /node_modules\/(body-parser|raw-body|iconv-lite|type-is|media-typer|content-type)\//.test(f.url) },
  {
    stage: 'route logic (validate, key, response object)',
    matches: (f) => /\/middleware\/(router|upload-request|policy|options|errors)|\/bench\/(server|naive-presign|lean-presign)/.test(f.url),
  },
  { stage: 'garbage collection', matches: (f) => f.functionName === '(garbage collector)' },
  { stage: 'Express routing and response', matches: (f) => /node_modules\/(express|router|finalhandler|send|etag|on-finished|parseurl|path-to-regexp)\//.test(f.url) },
];

/** Time per stage, and within each stage per leaf function (where the time actually went). */
function stageTimes(profile: CpuProfile, self: Map<number, number>): Map<string, { time: number; leaves: Map<string, number> }> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const stages = new Map<string, { time: number; leaves: Map<string, number> }>();
  for (const [id, time] of self) {
    const leaf = (byNode.get(id) as ProfileNode).callFrame;
    if (leaf.functionName === '(idle)') continue;
    let stage = 'HTTP and event loop (node internals)';
    // The innermost frame that belongs to a stage decides: a handler runs inside auth's callback, so outer frames lie.
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const rule = STAGES.find((candidate) => candidate.matches((byNode.get(at as number) as ProfileNode).callFrame));
      if (rule) {
        stage = rule.stage;
        break;
      }
    }
    const entry = stages.get(stage) ?? { time: 0, leaves: new Map<string, number>() };
    entry.time += time;
    const leafName = `${leaf.functionName || '(anonymous)'} ${owner(leaf.url)}`;
    entry.leaves.set(leafName, (entry.leaves.get(leafName) ?? 0) + time);
    stages.set(stage, entry);
  }
  return stages;
}

/** Self time by function and by owner, counting only samples taken after `fromUs` (start-up and warm-up excluded). */
function summarise(profile: CpuProfile, fromUs: number, top: number, requests: number): string {
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= fromUs) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const [id, time] of self) {
    const frame = (byNode.get(id) as ProfileNode).callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${owner(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
    byOwner.set(owner(frame.url), (byOwner.get(owner(frame.url)) ?? 0) + time);
  }
  const table = (entries: Map<string, number>) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, time]) => `  ${((time / total) * 100).toFixed(1).padStart(5)}%  ${(time / requests).toFixed(1).padStart(6)} µs/req  ${name}`)
      .join('\n');
  const busy = total - (byFunction.get('(idle) (native, GC, idle):0') ?? 0);
  const stages = [...stageTimes(profile, self)]
    .sort((a, b) => b[1].time - a[1].time)
    .map(([stage, { time, leaves }]) => {
      const top3 = [...leaves]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([name, t]) => `${name} ${(t / requests).toFixed(1)}`)
        .join(', ');
      return `  ${((time / busy) * 100).toFixed(1).padStart(5)}%  ${(time / requests).toFixed(1).padStart(6)} µs/req  ${stage}\n          (${top3})`;
    })
    .join('\n');
  return `Busy: ${(busy / requests).toFixed(1)} µs per request (${requests} requests)\n\nBy stage (share of busy time):\n${stages}\n\nSelf time by owner:\n${table(byOwner)}\n\nSelf time by function:\n${table(byFunction)}`;
}

async function main(): Promise<void> {
  const route = (process.argv[2] ?? 'presign') as keyof typeof ROUTES;
  const seconds = Number(process.argv[3] ?? 10);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edu-bench-prof-'));
  process.env.BENCH_CPU_PROF = dir;
  const issuer = await startDevIssuer({ audience: 'https://uploads.bench/api' });
  try {
    // No S3 is needed: presigning makes no network call. The endpoint only has to parse.
    const server = await startBenchServer({
      issuerBaseURL: issuer.url,
      audience: 'https://uploads.bench/api',
      bucket: 'bench-uploads',
      s3: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } },
    });
    const token = await issuer.issue({ sub: 'auth0|bench-user' });
    const load = (duration: number) =>
      autocannon({
        url: server.url(ROUTES[route]),
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ filename: 'holiday.jpg', contentType: 'image/jpeg', size: 2_345_678 }),
        connections: 50,
        duration,
      });
    // Warm-up first (JIT, JWKS); the summary counts only samples after the mark.
    await load(3);
    const mark = await server.clockUs();
    const result = await load(seconds);
    console.log(`${route}: ${(result['2xx'] / result.duration).toFixed(0)} req/s, ${result.non2xx} non-2xx`);
    await server.stop();
    const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('no profile written');
    console.log(summarise(JSON.parse(await readFile(path.join(dir, file), 'utf8')) as CpuProfile, mark, Number(process.env.TOP ?? 25), result['2xx']));
  } finally {
    await stopAll();
    await issuer.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
