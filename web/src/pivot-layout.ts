// A small force-directed layout for the pivot graph (Fruchterman–Reingold with cooling), written
// here rather than pulled from a graph library: the graphs are small (a few hundred nodes at most)
// and the whole page then costs a few kB. Deterministic: the same graph lays out the same way.

/** A node position. */
export interface Point {
  x: number;
  y: number;
}

/** What the layout needs of the graph. */
export interface LayoutInput {
  readonly nodes: readonly { readonly id: string; readonly depth: number }[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  /** Nodes placed before (kept as the start, so a merge moves little). */
  readonly previous?: ReadonlyMap<string, Point>;
  /** Held still (the root). */
  readonly pinned?: string;
  /** Where a node new to `previous` starts: near this node's position (the node expanded). */
  readonly near?: string;
  readonly width: number;
  readonly height: number;
  readonly iterations?: number;
}

/** A small deterministic hash of a string to [0, 1), for spreading start positions. */
function unit(text: string, salt: number): number {
  let h = 2166136261 ^ salt;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return ((h >>> 0) % 100_000) / 100_000;
}

/** Positions for every node, inside width × height (with a margin). */
export function layoutGraph(input: LayoutInput): Map<string, Point> {
  const { nodes, edges, width, height } = input;
  const n = nodes.length;
  const cx = width / 2;
  const cy = height / 2;
  const pos = new Map<string, Point>();
  const anchor = input.near ? input.previous?.get(input.near) : undefined;
  const fresh = new Set<string>();
  nodes.forEach((node) => {
    const had = input.previous?.get(node.id);
    if (had) {
      pos.set(node.id, { ...had });
      return;
    }
    fresh.add(node.id);
    const angle = unit(node.id, 1) * 2 * Math.PI;
    if (anchor) {
      const r = 40 + 40 * unit(node.id, 2);
      pos.set(node.id, { x: anchor.x + r * Math.cos(angle), y: anchor.y + r * Math.sin(angle) });
    } else {
      // Rings by depth around the centre: a readable start that the forces then relax.
      const r = node.id === input.pinned ? 0 : Math.min(width, height) * (0.16 * node.depth + 0.04 * unit(node.id, 3));
      pos.set(node.id, { x: cx + r * Math.cos(angle), y: cy + r * Math.sin(angle) });
    }
  });
  if (n <= 1) {
    for (const p of pos.values()) Object.assign(p, { x: cx, y: cy });
    return pos;
  }

  const ids = nodes.map((x) => x.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const links = edges.map((e) => [index.get(e.from), index.get(e.to)]).filter((l): l is [number, number] => l[0] !== undefined && l[1] !== undefined && l[0] !== l[1]);
  const xs = ids.map((id) => pos.get(id)!.x);
  const ys = ids.map((id) => pos.get(id)!.y);
  const k = Math.max(70, Math.sqrt((width * height) / n) * 0.9);
  const iterations = input.iterations ?? (input.previous ? 160 : 300);
  // A merge starts cooler: the nodes already placed should stay roughly where the reader saw them.
  let temperature = (input.previous ? 0.05 : 0.12) * Math.min(width, height);
  const cool = temperature / (iterations + 1);
  const pinned = input.pinned === undefined ? -1 : (index.get(input.pinned) ?? -1);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  for (let it = 0; it < iterations; it++) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let ddx = xs[i]! - xs[j]!;
        let ddy = ys[i]! - ys[j]!;
        let d2 = ddx * ddx + ddy * ddy;
        if (d2 < 0.01) {
          ddx = unit(ids[i]!, it) - 0.5;
          ddy = unit(ids[j]!, it) - 0.5;
          d2 = 0.01;
        }
        const f = (k * k) / d2;
        dx[i]! += ddx * f;
        dy[i]! += ddy * f;
        dx[j]! -= ddx * f;
        dy[j]! -= ddy * f;
      }
    }
    for (const [a, b] of links) {
      const ddx = xs[a]! - xs[b]!;
      const ddy = ys[a]! - ys[b]!;
      const d = Math.sqrt(ddx * ddx + ddy * ddy) || 0.1;
      const f = d / k;
      dx[a]! -= ddx * f;
      dy[a]! -= ddy * f;
      dx[b]! += ddx * f;
      dy[b]! += ddy * f;
    }
    for (let i = 0; i < n; i++) {
      if (i === pinned) continue;
      // A weak pull to the centre keeps separate components on screen.
      dx[i]! += (cx - xs[i]!) * 0.02;
      dy[i]! += (cy - ys[i]!) * 0.02;
      const d = Math.sqrt(dx[i]! * dx[i]! + dy[i]! * dy[i]!) || 1;
      const step = Math.min(d, fresh.has(ids[i]!) ? temperature * 2 : temperature);
      xs[i]! += (dx[i]! / d) * step;
      ys[i]! += (dy[i]! / d) * step;
    }
    temperature -= cool;
  }
  // Fit into the box, keeping the aspect ratio.
  const margin = 60;
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const minY = Math.min(...ys);
  const maxY = Math.max(...ys);
  const scale = Math.min(1.4, (width - 2 * margin) / Math.max(1, maxX - minX), (height - 2 * margin) / Math.max(1, maxY - minY));
  const ox = (width - (maxX - minX) * scale) / 2;
  const oy = (height - (maxY - minY) * scale) / 2;
  const out = new Map<string, Point>();
  ids.forEach((id, i) => out.set(id, { x: ox + (xs[i]! - minX) * scale, y: oy + (ys[i]! - minY) * scale }));
  return out;
}
