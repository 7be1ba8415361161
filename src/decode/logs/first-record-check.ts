// The header check of formats without a header (JSON lines, Zeek JSON): a file is taken for the
// format once one of its first lines is a record of it, so one bad first line costs that line,
// not the file; only a file none of whose first lines fits is refused as another format.

import { formatProblem, type LineProblem } from './log-parser.js';

/** Non-blank lines looked at before a file with no fitting record is refused. */
export const FIRST_RECORD_LINES = 10;

export class FirstRecordCheck {
  /** Set once a line was a record of the format: from then on every problem is the line's own. */
  passed = false;
  private seen = 0;
  private first: { line: number; reason: string } | undefined;

  /** @param what the record looked for, for the message ("a Zeek conn object"). */
  constructor(private readonly what: string) {}

  pass(): void {
    this.passed = true;
  }

  /**
   * A line that is not a record of the format: its own problem while lines are still looked
   * at (it is rejected like any bad line), or the file's once the first lines are used up.
   * `reason` says why the line does not fit the format, for that message.
   */
  fault(line: number, reason: string, problem: LineProblem): LineProblem {
    if (this.passed) return problem;
    this.first ??= { line, reason };
    return ++this.seen >= FIRST_RECORD_LINES ? this.refusal() : problem;
  }

  /** At the end of the file: refused when no line fitted (a short file of other records). */
  finish(): LineProblem | undefined {
    return !this.passed && this.first ? this.refusal() : undefined;
  }

  private refusal(): LineProblem {
    const { line, reason } = this.first!;
    // Reported once: after it the file is not read further.
    this.passed = true;
    const more = this.seen > 1 ? ` (and none of the first ${this.seen} lines is ${this.what})` : '';
    return formatProblem(line, `unknown header: ${reason}${more}`);
  }
}
