/**
 * Retrying storage and Kafka calls while a batch is being handled, without losing the
 * consumer group membership: heartbeats go on during each attempt and each backoff (a storage
 * outage of minutes must not make the group hand the partitions to another collector while
 * this one still writes them), and the loop gives up as soon as the group rebalances (the
 * partition may belong to another collector by now) or the consumer is stopping.
 */

/** Backoff of a failing call: 200 ms, doubling, at most 10 s. */
export const INITIAL_BACKOFF_MS = 200;
export const MAX_BACKOFF_MS = 10_000;
/** How often heartbeats are attempted during a call or a backoff (kafkajs sends one per heartbeatInterval). */
const HEARTBEAT_EVERY_MS = 1000;

/** The consumer group membership a batch is handled under (kafkajs's eachBatch payload). */
export interface GroupSession {
  /** Keeps the membership alive; rejects when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
}

/** Raised when the consumer stops while a call still fails: the chunk is left to the next run. */
export class StoppingError extends Error {
  override readonly name = 'StoppingError';
}

const MEMBERSHIP_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
]);

/** The group moved on without this member's current generation: its partitions may be gone. */
export function isMembershipError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    MEMBERSHIP_ERRORS.has(String((error as { type?: unknown }).type))
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Heartbeats while `op` runs; a membership error is thrown once `op` has settled. */
export async function keepingAlive<T>(session: GroupSession, op: () => Promise<T>): Promise<T> {
  let lost: unknown;
  const beat = () => {
    session.heartbeat().catch((error: unknown) => {
      if (isMembershipError(error)) lost ??= error;
    });
  };
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  try {
    const result = await op();
    if (lost !== undefined) throw lost;
    return result;
  } catch (error) {
    throw lost ?? error;
  } finally {
    clearInterval(timer);
  }
}

/** Waits `ms` with heartbeats; rejects on a rebalance, or early with StoppingError when stopping. */
export async function waitAlive(session: GroupSession, ms: number, stopEarly = true): Promise<void> {
  const until = performance.now() + ms;
  for (;;) {
    if (stopEarly && !session.isRunning()) throw new StoppingError('the consumer is stopping');
    const left = until - performance.now();
    if (left <= 0) return;
    await sleep(Math.min(left, HEARTBEAT_EVERY_MS));
    await heartbeatIgnoringOutage(session);
  }
}

/**
 * A heartbeat whose failure for lack of a broker is not this member's problem (yet); a
 * membership error is thrown. kafkajs sends one only when heartbeatInterval has passed since the
 * last, so after a long pause (when the group may have moved on) this does ask.
 */
export async function heartbeatIgnoringOutage(session: GroupSession): Promise<void> {
  try {
    await session.heartbeat();
  } catch (error) {
    if (isMembershipError(error)) throw error;
  }
}

/**
 * Runs `op` until it succeeds, backing off between attempts. Rejects with the group's error on
 * a rebalance, or with StoppingError when an attempt fails while the consumer is stopping
 * (the attempt in flight is always finished).
 */
export async function retrying<T>(
  session: GroupSession,
  op: () => Promise<T>,
  onFailure: (error: unknown, retryInMs: number) => void,
): Promise<T> {
  let delay = INITIAL_BACKOFF_MS;
  for (;;) {
    try {
      return await keepingAlive(session, op);
    } catch (error) {
      if (isMembershipError(error)) throw error;
      if (!session.isRunning())
        throw new StoppingError('stopping with a call still failing', { cause: error });
      onFailure(error, delay);
      await waitAlive(session, delay);
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }
}
