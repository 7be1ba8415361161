// Runs a playbook from an entity over the pivot engine's one-step expansion: each step expands
// the nodes the previous step newly reached (the root for the first), following only its
// relations, and keeps the edges its filters pass. The answer is the pivot graph's shape plus,
// per step, how many nodes it expanded and what it kept and dropped.

import { VantageError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import type { Entity } from './entity.js';
import { createPivotEngine, PivotGraphBuilder, type PivotGraph, type PivotNode, type PivotOptions } from './pivot-graph.js';
import { tagsMatch, type Playbook } from './playbook.js';

/** What one step did. */
export interface PlaybookStepResult {
  readonly step: number;
  readonly name: string | null;
  readonly follow: readonly string[];
  /** Nodes of the frontier the step expanded. */
  readonly expanded: number;
  /** Edges the relations found (the strongest per node and relation), before the filters. */
  readonly found: number;
  /** Edges the filters dropped. */
  readonly dropped: number;
  /** Edges the step added to the graph, and nodes new to it (the next step's frontier). */
  readonly edges: number;
  readonly nodes: number;
  /** Node-relation pairs that had more edges than the step's limit. */
  readonly truncated: number;
}

/** A playbook's answer: the graph as `vantage pivot` gives it, the playbook's name, and the steps. */
export interface PlaybookResult extends PivotGraph {
  readonly playbook: string;
  readonly steps: PlaybookStepResult[];
}

/**
 * Runs the playbook. A root the first step's relations find nothing for is "nothing known" (an
 * error, as for a pivot); filters that drop everything, or a later step that finds nothing, leave
 * their counts at zero and the graph so far.
 */
export async function runPlaybook(store: Store, playbook: Playbook, entity: Entity, options: Omit<PivotOptions, 'depth'> = {}): Promise<PlaybookResult> {
  const started = performance.now();
  const deadline = started + (options.deadlineMs ?? 10_000);
  const engine = await createPivotEngine(store, entity, options);
  const graph = new PivotGraphBuilder(engine.root);
  const steps: PlaybookStepResult[] = [];
  let frontier: PivotNode[] = [engine.root];
  let timedOut = false;
  for (const [i, step] of playbook.steps.entries()) {
    const counts = { found: 0, dropped: 0, edges: 0, truncated: 0 };
    const next: PivotNode[] = [];
    if (!timedOut && frontier.length > 0) {
      const result = await engine.expand(frontier, { relations: new Set(step.follow), limit: step.limit ?? options.limit, deadline });
      timedOut = result.timedOut;
      for (const { node, expansions } of result.results) {
        for (const expansion of expansions) {
          graph.noteTruncation(node, expansion);
          if (expansion.total > expansion.steps.length) counts.truncated++;
          for (const s of expansion.steps) {
            counts.found++;
            const keep =
              (!step.types || step.types.includes(s.node.type)) &&
              (!step.tags || tagsMatch(s.node.tags, step.tags)) &&
              (step.minCount === undefined || s.edge.count >= step.minCount);
            if (!keep) {
              counts.dropped++;
              continue;
            }
            const before = graph.edges.size;
            const { target, added } = graph.add(node, s, i + 1);
            counts.edges += graph.edges.size - before;
            if (added) next.push(target);
          }
        }
      }
    }
    steps.push({ step: i + 1, name: step.name ?? null, follow: step.follow, expanded: frontier.length, ...counts, nodes: next.length });
    if (i === 0 && counts.found === 0 && !timedOut) {
      throw new VantageError('NOT_FOUND', `nothing known about ${entity.value} along playbook ${playbook.name ?? '(unnamed)'}: its first step (${step.follow.join(', ')}) found no edge`);
    }
    frontier = next;
  }
  return {
    playbook: playbook.name ?? '(unnamed)',
    root: engine.root.id,
    depth: playbook.steps.length,
    nodes: [...graph.nodes.values()],
    edges: [...graph.edges.values()],
    truncated: graph.truncated,
    timedOut,
    ms: Math.round(performance.now() - started),
    steps,
  };
}
