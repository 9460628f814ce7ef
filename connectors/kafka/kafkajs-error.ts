import { TitansError } from '../../src/errors/index.js';
import type { KafkaErrorCode } from './errors.js';
import { KafkaConnectorError } from './errors.js';

/** kafkajs errors that mean "the cluster could not be reached in time". */
const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
]);

interface KafkaJsErrorShape extends Error {
  retriable?: boolean;
  type?: string;
  /** Set on `KafkaJSAggregateError`: one error per failed item (e.g. per topic). */
  errors?: unknown[];
}

function isKafkaJsError(error: unknown): error is KafkaJsErrorShape {
  return error instanceof Error && error.name.startsWith('KafkaJS');
}

/** The error and the kafkajs errors behind it (causes, aggregated errors), outermost first. */
function causeChain(error: KafkaJsErrorShape): KafkaJsErrorShape[] {
  const chain: KafkaJsErrorShape[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && chain.length < 20) {
    const current = pending.shift();
    if (!isKafkaJsError(current) || chain.includes(current)) continue;
    chain.push(current);
    pending.push(current.cause, ...(current.errors ?? []));
  }
  return chain;
}

/**
 * Translates an error thrown by kafkajs into a {@link KafkaConnectorError} naming the operation.
 * `retriable` follows kafkajs' own flag; "retries exhausted" over a retriable cause counts as
 * retriable, as kafkajs itself decides when it restarts a crashed consumer. Errors that are not
 * kafkajs' (a TitansError, a bug) are returned unchanged.
 *
 * @param operation - what was attempted and on what, e.g. `producer.send(topics=a,b)`
 * @param error - what kafkajs threw
 * @returns the error to throw
 */
export function fromKafkaJsError(operation: string, error: unknown): unknown {
  if (error instanceof TitansError || !isKafkaJsError(error)) return error;
  const chain = causeChain(error);
  // The innermost cause: what kafkajs' consumer looks at when it decides to restart.
  let root: KafkaJsErrorShape = error;
  while (isKafkaJsError(root.cause)) root = root.cause;
  const protocolType = chain.find((e) => typeof e.type === 'string')?.type;
  const code: KafkaErrorCode =
    protocolType !== undefined ? 'ERR_KAFKA_PROTOCOL' : chain.some((e) => CONNECTION_ERRORS.has(e.name)) ? 'ERR_KAFKA_CONNECTION' : 'ERR_KAFKA';
  const retriable =
    error.retriable === true || (error.name === 'KafkaJSNumberOfRetriesExceeded' && root.retriable === true);
  const details = [...new Set(chain.slice(1).map((e) => e.message))].filter((m) => !error.message.includes(m));
  const problem = details.length === 0 ? error.message : `${error.message}: ${details.join('; ')}`;
  return new KafkaConnectorError(code, operation, problem, {
    cause: error,
    retriable,
    ...(protocolType !== undefined && { protocolType }),
  });
}

/** Runs a kafkajs call and rethrows its failure as {@link fromKafkaJsError} says. */
export async function kafkaJsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw fromKafkaJsError(operation, error);
  }
}

/** The kafkajs error a retriable {@link KafkaConnectorError} was made from, so kafkajs can handle it again (rejoin, retry). */
export function originalKafkaJsError(error: unknown): Error | undefined {
  return error instanceof KafkaConnectorError && error.retriable && isKafkaJsError(error.cause) ? error.cause : undefined;
}

/**
 * Like {@link kafkaJsCall}, but retries retriable failures with backoff for up to `timeoutMs`: for the
 * kafkajs calls that do not retry by themselves (e.g. a group coordinator still loading on a fresh cluster).
 */
export async function kafkaJsCallRetrying<T>(operation: string, call: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await kafkaJsCall(operation, call);
    } catch (error) {
      if (!(error instanceof KafkaConnectorError && error.retriable) || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
