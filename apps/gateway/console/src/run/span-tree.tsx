import { duration, usd } from '../format.ts';
import type { FlameNode } from './flame-layout.ts';

/** The run tree as an indented list, in the same order and with the same keys as the flame chart. */
export function SpanTree({ nodes, selected, onSelect }: { nodes: FlameNode[]; selected: string | undefined; onSelect: (key: string) => void }) {
  return (
    <ol class="span-tree" aria-label="span tree">
      {nodes.map((node) => (
        <li key={node.key} class={node.key === selected ? 'selected' : ''} style={{ paddingLeft: `${node.depth * 14 + 4}px` }}>
          <button type="button" data-tree-key={node.key} onClick={() => onSelect(node.key)}>
            <span class={`kind-dot kind-${node.kind}`} />
            <span class="tree-label">{node.label}</span>
            <span class="muted tree-figures">
              {duration(node.end - node.start)}
              {node.costUsd > 0 ? ` · ${usd(node.costUsd)}` : ''}
            </span>
          </button>
        </li>
      ))}
    </ol>
  );
}
