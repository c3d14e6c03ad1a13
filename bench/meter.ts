// Server-side meters for one measured window: bytes read from app sockets, bytes written to S3, CPU time and peak RSS.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Agent, Server } from 'node:http';
import type { Socket } from 'node:net';

/** What the app server spent during one window. */
export interface MeterReading {
  /** Bytes read from client connections to the app server (request lines, headers and bodies). */
  bytesReceived: number;
  /** Bytes the app server wrote to S3 on its own connections (the proxy's second copy of the file). */
  bytesSentToS3: number;
  /** User + system CPU time of the app server process, all threads, in milliseconds. */
  cpuMs: number;
  /** Highest resident set size during the window, and the resident set size when it opened, in bytes. */
  peakRss: number;
  startRss: number;
}

/**
 * Counts bytes per socket through `bytesRead`/`bytesWritten` rather than 'data' listeners: the HTTP parser reads
 * the socket handle directly, so a listener would see nothing. Closed sockets hand their share over as they close.
 */
class SocketTally {
  private readonly base = new Map<Socket, number>();
  private closed = 0;
  constructor(private readonly count: (socket: Socket) => number) {}

  track(socket: Socket): void {
    this.base.set(socket, this.count(socket));
    socket.once('close', () => {
      this.closed += this.count(socket) - (this.base.get(socket) as number);
      this.base.delete(socket);
    });
  }

  reset(): void {
    this.closed = 0;
    for (const socket of this.base.keys()) this.base.set(socket, this.count(socket));
  }

  total = (): number => [...this.base].reduce((sum, [socket, start]) => sum + this.count(socket) - start, this.closed);
}

/**
 * Linux keeps the peak RSS (VmHWM) and resets it to the current RSS when 5 is written to clear_refs: the exact peak
 * of a window with no timer in the server, whose CPU would otherwise blur the "flat CPU" of direct uploads.
 */
const resetPeakRss = (): void => writeFileSync('/proc/self/clear_refs', '5');
const kernelPeakRss = (): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;

export class Meter {
  private readonly received = new SocketTally((socket) => socket.bytesRead);
  private readonly sentToS3 = new SocketTally((socket) => socket.bytesWritten);
  private cpuStart = process.cpuUsage();
  private startRss = 0;

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
   * Opens a window. Earlier garbage is collected first and V8's helper threads get 150 ms to finish sweeping it:
   * process.cpuUsage() counts every thread, and that sweep showed as 0-7 ms of noise in empty windows.
   */
  async start(): Promise<void> {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 150));
    this.received.reset();
    this.sentToS3.reset();
    this.startRss = process.memoryUsage.rss();
    resetPeakRss();
    this.cpuStart = process.cpuUsage();
  }

  stop(): MeterReading {
    const cpu = process.cpuUsage(this.cpuStart);
    return {
      bytesReceived: this.received.total(),
      bytesSentToS3: this.sentToS3.total(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRss: Math.max(kernelPeakRss(), process.memoryUsage.rss()),
      startRss: this.startRss,
    };
  }
}
