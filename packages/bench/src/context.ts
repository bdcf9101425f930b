// What every scenario of one bench run shares: the settings, progress output, the Kafka clients
// (each part on topics of its own), the processes to stop at the end and the figures one part
// hands to a later one. Made by createBench(), never at import time.
import { createKafkaClient, type KafkaClient } from "@orderflow/kafka";
import { TOPIC_PREFIX, type Service } from "@orderflow/system-tests/harness";
import { pino } from "pino";
import { loadBenchEnv, PROFILES, type BenchPart, type ProfileName } from "./env.js";
import { figure, round, type Figure } from "./stats.js";

export type Profile = (typeof PROFILES)[ProfileName];

export interface Bench {
  profileName: ProfileName;
  P: Profile;
  parts: Set<BenchPart>;
  brokers: string[];
  progress(msg: string): void;
  /** Figures compared as a ratio are measured in turns (a run of each, then the next round), so
   *  the machine's drift over minutes (a checkpoint after pgbench, a noisy neighbour) falls on
   *  both sides alike instead of on whichever ran second. */
  interleaved(steps: { what: string; fn: (i: number) => Promise<number> }[]): Promise<Figure[]>;
  repeat(what: string, fn: (i: number) => Promise<number>): Promise<Figure>;
  kafka: {
    main: KafkaClient;
    /** the saga runs on topics of its own: nothing the earlier measurements left on the broker reaches it */
    saga: KafkaClient;
    /** and the slow-provider part's saga and payment runs on topics of theirs */
    slowSaga: KafkaClient;
    slowPayment: KafkaClient;
  };
  /** started services, stopped at the end whatever happens */
  services: Service[];
  stopAtEnd: (() => Promise<void>)[];
  /** what one part measured for a later one */
  shared: {
    /** pgbench of the statement a keyed POST /orders sends: the orders' baseline and the saga's */
    orderTx?: Figure;
    /** the saga part's half load (orders/s), for the slow-provider part to run at the same load */
    sagaHalfRate?: number;
  };
}

export function createBench(env = loadBenchEnv()): Bench {
  const P = PROFILES[env.profileName];
  const started = Date.now();
  const progress = (msg: string) =>
    process.stderr.write(`[bench ${Math.round((Date.now() - started) / 1000)}s] ${msg}\n`);
  const interleaved: Bench["interleaved"] = async (steps) => {
    const runs: number[][] = steps.map(() => []);
    for (let i = 0; i < P.repeats; i++) {
      for (const [k, step] of steps.entries()) {
        runs[k]!.push(await step.fn(i));
        progress(`${step.what} ${i + 1}/${P.repeats}: ${round(runs[k]!.at(-1)!)}`);
      }
    }
    return runs.map(figure);
  };
  const client = (clientId: string, topicPrefix: string) =>
    createKafkaClient({ brokers: env.brokers, clientId, logger: pino({ level: "silent" }), topicPrefix });
  return {
    ...env,
    P,
    progress,
    interleaved,
    repeat: async (what, fn) => (await interleaved([{ what, fn }]))[0]!,
    kafka: {
      main: client("bench", TOPIC_PREFIX),
      saga: client("bench-saga", `${TOPIC_PREFIX}saga.`),
      slowSaga: client("bench-slow-saga", `${TOPIC_PREFIX}slow-saga.`),
      slowPayment: client("bench-slow-payment", `${TOPIC_PREFIX}slow-payment.`),
    },
    services: [],
    stopAtEnd: [],
    shared: {},
  };
}
