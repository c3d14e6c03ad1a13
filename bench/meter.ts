// Server-side meters for one measured window: bytes read from app sockets, bytes exchanged with S3, CPU time and peak RSS.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** What the app server spent during one window. */
export interface MeterReading {
  /** Bytes read from client connections to the app server (request lines, headers and bodies). */
  bytesReceived: number;
  /** Bytes the app server wrote to S3 on its own connections (the proxy's second copy of the file). */
  bytesSentToS3: number;
  /** User + system CPU time of the app server process, all threads, in milliseconds. */
  cpuMs: number;
  /** The same for the main (JavaScript) thread alone, at the kernel's 10 ms tick; the rest is V8's GC helpers and libuv. */
  mainThreadCpuMs: number;
  /** Highest resident set size during the window, in bytes. */
  peakRss: number;
  /** How peakRss was found: the kernel's high-water mark (exact) or 20 ms samples. */
  peakRssSource: 'VmHWM' | 'sampled';
  /** Resident set size when the window opened, in bytes. */
  startRss: number;
  /** Wall-clock length of the window, in milliseconds. */
  wallMs: number;
}

/**
 * Counts bytes per socket through `bytesRead`/`bytesWritten` rather than 'data' listeners: the HTTP parser reads
 * the socket handle directly, so a listener would see nothing and could change how the socket is consumed.
 * Each socket keeps the count it had when the window opened; closed sockets hand their share over as they close.
 */
class SocketTally {
  private readonly base = new Map<Socket, number>();
  private closed = 0;
  constructor(private readonly count: (socket: Socket) => number) {}

  track(socket: Socket): void {
    this.base.set(socket, this.count(socket));
    socket.once('close', () => {
      const start = this.base.get(socket);
      if (start === undefined) return;
      this.closed += this.count(socket) - start;
      this.base.delete(socket);
    });
  }

  /** Starts a new window at zero. */
  reset(): void {
    this.closed = 0;
    for (const socket of this.base.keys()) this.base.set(socket, this.count(socket));
  }

  /** Bytes so far in this window. */
  total(): number {
    let sum = this.closed;
    for (const [socket, start] of this.base) sum += this.count(socket) - start;
    return sum;
  }
}

/** Pause after a forced GC before a window opens. */
const SETTLE_MS = 150;

/** RSS sampling interval, only where the kernel's high-water mark cannot be reset: short enough to see a proxy's buffers. */
const RSS_SAMPLE_MS = 20;

/**
 * Linux keeps the peak RSS (VmHWM) and lets a process reset it to the current RSS by writing 5 to clear_refs.
 * That gives the exact peak of a window with no timer running in the server, whose CPU would otherwise
 * grow with the window's length and blur the "flat CPU" measurement of direct uploads.
 */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU ticks of the main thread (its thread id is the process id), from /proc; 0 where /proc is missing. */
function mainThreadTicks(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}
/** Linux reports thread times in clock ticks of 10 ms (USER_HZ = 100). */
const MS_PER_TICK = 10;

function kernelPeakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error('no VmHWM in /proc/self/status');
  return Number(match[1]) * 1024;
}

export class Meter {
  private readonly received = new SocketTally((socket) => socket.bytesRead);
  private readonly sentToS3 = new SocketTally((socket) => socket.bytesWritten);
  private cpuStart = process.cpuUsage();
  private mainTicksStart = 0;
  private wallStart = 0;
  private startRss = 0;
  private peakRss = 0;
  private sampler?: NodeJS.Timeout;
  private peakFromKernel = false;

  /** Counts every connection the app server accepts. */
  watchServer(server: Server): void {
    server.on('connection', (socket: Socket) => this.received.track(socket));
  }

  /** Counts every connection an HTTP agent opens (the S3 client's), wrapping its socket factory. */
  watchAgent(agent: Agent): void {
    const withFactory = agent as Agent & { createConnection: (...args: unknown[]) => Socket };
    const create = withFactory.createConnection.bind(agent);
    withFactory.createConnection = (...args: unknown[]) => {
      const socket = create(...args);
      this.sentToS3.track(socket);
      return socket;
    };
  }

  /**
   * Opens a window. Garbage left by earlier windows is collected first, and V8's helper threads are given
   * time to finish sweeping it: process.cpuUsage() counts every thread, and that sweep showed up as 0-7 ms
   * of noise in otherwise empty windows.
   */
  async start(): Promise<void> {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    this.received.reset();
    this.sentToS3.reset();
    this.startRss = this.peakRss = process.memoryUsage.rss();
    clearInterval(this.sampler);
    this.peakFromKernel = resetPeakRss();
    if (!this.peakFromKernel) {
      this.sampler = setInterval(() => {
        this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
      }, RSS_SAMPLE_MS);
      this.sampler.unref();
    }
    this.wallStart = performance.now();
    this.mainTicksStart = mainThreadTicks();
    this.cpuStart = process.cpuUsage();
  }

  stop(): MeterReading {
    const cpu = process.cpuUsage(this.cpuStart);
    const mainThreadCpuMs = (mainThreadTicks() - this.mainTicksStart) * MS_PER_TICK;
    const wallMs = performance.now() - this.wallStart;
    clearInterval(this.sampler);
    this.sampler = undefined;
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss(), this.peakFromKernel ? kernelPeakRss() : 0);
    return {
      bytesReceived: this.received.total(),
      bytesSentToS3: this.sentToS3.total(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      mainThreadCpuMs,
      peakRss: this.peakRss,
      peakRssSource: this.peakFromKernel ? 'VmHWM' : 'sampled',
      startRss: this.startRss,
      wallMs,
    };
  }
}
