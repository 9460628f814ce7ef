/**
 * The connector's one import of the kafkajs library, after the fix of its `read_committed`
 * filter is in place (see `kafkajs-read-committed.ts`). Every other module of the connector
 * takes kafkajs from here; type-only imports of `kafkajs` are fine anywhere.
 */
import './kafkajs-read-committed.js';
import kafkajs from 'kafkajs';

export { kafkajs };
