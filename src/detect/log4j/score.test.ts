import { expect, test } from 'vitest';
import { roundScore, severityFor } from '../finding.js';
import { log4jScore } from './score.js';

test.each([
  // jndi callback payload followup -> score (worked: 0.75 + 0.15c + 0.05p + 0.05f), band
  [{ jndi: 0, callback: 0, payload: 0, followup: 0 }, 0, 'info'],
  [{ jndi: 1, callback: 0, payload: 0, followup: 0 }, 0.5, 'low'], // attempt
  [{ jndi: 1, callback: 0, payload: 1, followup: 1 }, 0.5, 'low'], // no callback: payload alone does not make exploitation
  [{ jndi: 1, callback: 1, payload: 0, followup: 0 }, 0.9, 'high'], // 0.75 + 0.15
  [{ jndi: 1, callback: 1, payload: 1, followup: 0 }, 0.95, 'high'], // + 0.05
  [{ jndi: 1, callback: 1, payload: 1, followup: 1 }, 1, 'high'], // + 0.05 + 0.05
  [{ jndi: 1, callback: 0.6, payload: 0, followup: 0 }, 0.84, 'medium'], // 0.75 + 0.09
  [{ jndi: 1, callback: 0.6, payload: 1, followup: 1 }, 0.94, 'high'], // 0.84 + 0.1
])('%o -> %d (%s)', (subscores, score, band) => {
  expect(roundScore(log4jScore(subscores))).toBe(score);
  expect(severityFor(roundScore(log4jScore(subscores)))).toBe(band);
});
