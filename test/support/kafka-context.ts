/**
 * What test/global-setup.ts hands to the test workers about the Kafka broker (vitest `provide`/`inject`),
 * and the advice printed when there is none. No runtime imports: the global setup and the workers share it.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap brokers; empty when no broker is available. */
    kafkaBrokers: string;
    /** Why no broker is available; empty when one is. */
    kafkaUnavailable: string;
  }
}

/** How to get a broker, for error messages. */
export const KAFKA_HOWTO =
  'Start the local broker with `npm run kafka:start` (scripts/kafka/start.sh: Java 17 and Maven, first run resolves ' +
  'org.apache.kafka:kafka_2.13 from Maven Central), or point KAFKA_BROKERS at a running cluster (host:port[,host:port]).';
