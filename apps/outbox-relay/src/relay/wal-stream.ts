// One reading of a database's replication slot: the outbox inserts of each committed transaction,
// published in commit order, several transactions to a send; the slot is confirmed only up to the
// end of the last transaction whose every record the broker acknowledged (docs/relay.md).
import { OUTBOX_PUBLICATION, type PendingOutboxRow } from "@orderflow/db-kit";
import { type OutgoingRecord, type Publisher, settledWithin } from "@orderflow/kafka";
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from "pg-logical-replication";
import type { Logger } from "pino";
import { publishRows } from "./publish.js";

export interface WalStreamOptions {
  url: string;
  slot: string;
  /** the slot's confirmed position when the stream starts: what keepalives are answered with until a send confirms more */
  confirmedFrom: bigint;
  publisher: Publisher;
  log: Logger;
  /** records per send, at most (a transaction is never split, so a large one goes alone) */
  batchSize: number;
  afterPublish?: () => void;
  onSent?: (records: OutgoingRecord[]) => void;
  /** the server started streaming */
  onReading?: () => void;
}

interface Txn {
  rows: PendingOutboxRow[];
  /** the end of its commit record: confirming it tells the server the transaction is done */
  endLsn: bigint;
  /** commit time, ms since the epoch */
  committedAt: number;
}

/** Batches' worth of received rows the stream holds before it stops reading the socket (the
 *  server then waits): a broker outage or a large backlog must not fill the relay's memory. */
const BUFFERED_BATCHES = 20;

/** A status update at least this often, so the server never times out a reader waiting on a slow send. */
const STATUS_INTERVAL_MS = 10_000;

/** How long ending the replication connection may take before its socket is destroyed. */
const END_MS = 3_000;

/** pg's client.end() on a connection still being made writes Terminate before the startup packet
 *  and leaves connect() pending for ever; destroying the socket is what pg itself does to end a
 *  client in the middle of START_REPLICATION. */
function destroySocket(service: LogicalReplicationService): void {
  (
    service as unknown as { _client?: { connection?: { stream?: { destroy(): void } } } | null }
  )._client?.connection?.stream?.destroy();
}

export const parseLsn = (lsn: string): bigint => {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
};
const formatLsn = (lsn: bigint): string =>
  `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;

const raw = (v: unknown) => v;

export class WalStream {
  private readonly service: LogicalReplicationService;
  /** the transaction being received: Begin seen, Commit not yet */
  private open: Txn | undefined;
  /** committed transactions received, not yet sent */
  private readonly ready: Txn[] = [];
  /** the transactions of the send in flight */
  private inFlight: Txn[] = [];
  private confirmed: bigint;
  private stopping = false;
  private fail!: (e: unknown) => void;
  private readonly failed: Promise<never>;
  /** the server started streaming */
  private started = false;
  private halt!: () => void;
  /** settles when stop() is called: run() returns even if the connection never completes */
  private readonly halted = new Promise<void>((resolve) => {
    this.halt = resolve;
  });
  private sending: Promise<void> = Promise.resolve();
  private buffered = 0;
  private paused = false;

  constructor(private readonly opts: WalStreamOptions) {
    this.confirmed = opts.confirmedFrom;
    // auto acknowledgement off (it confirms each message as it arrives, before it is sent), and
    // no timed acknowledgement (it confirms the last position received, sent or not)
    this.service = new LogicalReplicationService(
      { connectionString: opts.url, connectionTimeoutMillis: 5000 },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    this.failed = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.failed.catch(() => {}); // awaited in run()
    this.service.on("error", (e: Error) => this.fail(e));
    this.service.on("data", (_lsn: string, msg: Pgoutput.Message) => {
      try {
        this.receive(msg);
      } catch (e) {
        this.fail(e);
      }
    });
    this.service.on("start", () => {
      this.started = true;
      // stop() ran while the connection was being made: nothing else would end it
      if (this.stopping) void this.service.stop().catch(() => {});
      else this.opts.onReading?.();
    });
    this.service.on("heartbeat", (lsn: string, _at: number, reply: boolean) => this.keepalive(parseLsn(lsn), reply));
  }

  /** Reads until the stream fails or stop() is called; rejects with the failure. */
  async run(): Promise<void> {
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [OUTBOX_PUBLICATION] });
    const timer = setInterval(() => this.sendStatus(), STATUS_INTERVAL_MS);
    try {
      // from the slot's confirmed position (0/0 asks the server for it): never from "now"
      const reading = this.service.subscribe(plugin, this.opts.slot, "0/0");
      reading.catch(() => {}); // stopped while connecting, it may settle late or never
      await Promise.race([reading, this.failed, this.halted]);
      if (!this.stopping) throw new Error(`replication stream of slot ${this.opts.slot} ended`);
    } finally {
      clearInterval(timer);
      this.stopping = true;
      await this.end();
      // a send still in flight ends before the next reader sends the same transactions again
      await this.sending;
    }
  }

  /** Lets the send in flight finish and confirms it, then ends the stream. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.sending;
    this.halt();
    await this.end();
  }

  /** Ends the replication connection, destroying its socket if that does not settle in time. */
  private async end(): Promise<void> {
    if (!this.started) destroySocket(this.service);
    if (!(await settledWithin(this.service.stop(), END_MS))) destroySocket(this.service);
  }

  /** The last position confirmed to the server. */
  confirmedLsn(): bigint {
    return this.confirmed;
  }

  /** Age of the oldest transaction received and not yet confirmed, in seconds. */
  lagSeconds(): number {
    const oldest = this.inFlight[0] ?? this.ready[0] ?? this.open;
    return oldest ? Math.max(0, (Date.now() - oldest.committedAt) / 1000) : 0;
  }

  private receive(msg: Pgoutput.Message): void {
    switch (msg.tag) {
      case "relation":
        // the columns as PostgreSQL sent their text: the payload is published as stored, never
        // parsed and re-serialised, like the poll mode's payload::text
        if (msg.name === "outbox") for (const c of msg.columns) c.parser = raw;
        return;
      case "begin":
        this.open = { rows: [], endLsn: 0n, committedAt: Number(msg.commitTime) / 1000 };
        return;
      case "insert":
        if (msg.relation.name === "outbox") this.open!.rows.push(rowOf(msg.new));
        return;
      case "commit":
        this.open!.endLsn = parseLsn(msg.commitEndLsn!);
        this.ready.push(this.open!);
        this.buffered += this.open!.rows.length;
        this.open = undefined;
        if (this.buffered > BUFFERED_BATCHES * this.opts.batchSize) this.flow(false);
        this.pump();
        return;
      default:
    }
  }

  /** Starts the next send when none is in flight: every transaction ready, up to batchSize records. */
  private pump(): void {
    if (this.inFlight.length > 0 || this.stopping || this.ready.length === 0) return;
    let records = 0;
    while (
      this.ready.length > 0 &&
      (this.inFlight.length === 0 || records + this.ready[0]!.rows.length <= this.opts.batchSize)
    ) {
      const t = this.ready.shift()!;
      records += t.rows.length;
      this.buffered -= t.rows.length;
      this.inFlight.push(t);
    }
    this.sending = this.send(this.inFlight).then(
      () => {
        this.inFlight = [];
        if (this.paused && this.buffered <= (BUFFERED_BATCHES / 2) * this.opts.batchSize) this.flow(true);
        this.pump();
      },
      (e: unknown) => this.fail(e),
    );
  }

  private async send(txns: Txn[]): Promise<void> {
    const rows = txns.flatMap((t) => t.rows);
    if (rows.length > 0) {
      const records = await publishRows(this.opts.publisher, rows);
      this.opts.onSent?.(records);
    }
    this.opts.afterPublish?.();
    // a crash before this confirmation reads these transactions again: duplicates consumers drop, never a loss
    this.confirmed = txns.at(-1)!.endLsn;
    this.sendStatus();
  }

  /** Keepalives are answered with the confirmed position, not the one received. When nothing
   *  received is unconfirmed, the keepalive's position is confirmed too: the WAL up to it holds
   *  nothing for this slot, and without it an idle database's slot would hold the whole
   *  cluster's WAL. */
  private keepalive(lsn: bigint, reply: boolean): void {
    const idle = !this.open && this.ready.length === 0 && this.inFlight.length === 0;
    const advanced = idle && lsn > this.confirmed;
    if (advanced) this.confirmed = lsn;
    if (advanced || reply) this.sendStatus();
  }

  /** Stops or resumes reading the replication socket. The library has no pause of its own that
   *  leaves keepalives in order (its flow control queues data behind them), so this pauses the
   *  pg connection's socket it reads; the status timer still keeps the server from timing out. */
  private flow(on: boolean): void {
    const socket = (this.service as unknown as { _connection?: { stream?: { pause(): void; resume(): void } } })
      ._connection?.stream;
    if (!socket) return;
    if (on) socket.resume();
    else socket.pause();
    this.paused = !on;
    this.opts.log.debug(
      { buffered: this.buffered, reading: on },
      on ? "reading the slot again" : "paused reading the slot",
    );
  }

  private sendStatus(): void {
    // the library reports the position it is given plus one as flushed; PostgreSQL's own
    // subscriber reports a commit's end itself, which is what a restart must start after
    if (this.confirmed > 0n) void this.service.acknowledge(formatLsn(this.confirmed - 1n)).catch(() => {});
  }
}

function rowOf(tuple: Record<string, string>): PendingOutboxRow {
  return {
    id: tuple.id!,
    topic: tuple.topic!,
    key: tuple.key!,
    payload: tuple.payload!,
    headers: JSON.parse(tuple.headers!) as Record<string, string>,
  };
}
