// Alerting: rules on findings, the durable outbox, the dispatcher and the sinks.

export { createAlerting, DEFAULT_UI_BASE_URL, type Alerting, type AlertingOptions } from './create-alerting.js';
export { AlertRuleSchema, parseAlertRule, ruleMatches, type AlertableFinding, type AlertRule, type AlertRuleInput } from './alert-rule.js';
export { AlertRuleRepository } from './alert-rule-repository.js';
export { AlertOutbox, type AlertListFilter, type OutboxEntry } from './alert-outbox.js';
export { AlertDispatcher, type DeliveryReport } from './alert-dispatcher.js';
export { evaluateAlerts, type EvaluateReport, type WatchlistsOf } from './evaluate-alerts.js';
export { ALERT_STATES, type AlertState } from './alert-tables.js';
export type { AlertMessage, AlertEvidence } from './alert-message.js';
export { DEFAULT_RETRY_POLICY, RetryPolicySchema, retryDelay, type RetryPolicy } from './retry-policy.js';
export type { AlertSink } from './sinks/alert-sink.js';
export { createSinks } from './sinks/create-sinks.js';
export { parseSinksConfig, SinkConfigSchema, SinksConfigSchema, type SinkConfig, type SinksConfig } from './sinks/sink-config.js';
export { SIGNATURE_HEADER, signWebhook, verifyWebhookSignature } from './sinks/webhook-signature.js';
