// The sink contract: deliver one alert message or throw. Retries, backoff and state live in
// the dispatcher; a sink makes one attempt per call.

import type { AlertMessage } from '../alert-message.js';

/** Details of the attempt a sink may pass on (headers, logs). */
export interface DeliveryAttempt {
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/** Somewhere alerts go. `send` resolves once the receiver has taken the message. */
export interface AlertSink {
  readonly name: string;
  readonly type: string;
  send(message: AlertMessage, attempt: DeliveryAttempt): Promise<void>;
  /** Releases connections. */
  close?(): Promise<void>;
}
