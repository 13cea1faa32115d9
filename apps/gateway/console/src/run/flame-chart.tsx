import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { duration, usd } from '../format.ts';
import type { FlameLayout, FlameNode } from './flame-layout.ts';

/** Height of a row of bars, in CSS pixels. */
export const ROW_HEIGHT = 22;
/** Narrowest window the chart zooms to, in ms. */
const MIN_WINDOW_MS = 0.05;
/** A pointer that moves less than this between down and up clicked; more, it panned. */
const DRAG_THRESHOLD_PX = 3;

interface Window {
  from: number;
  to: number;
}

/** Tick spacing of 1, 2 or 5 × 10^k ms that puts about `wanted` ticks across `span`. */
function tickStep(span: number, wanted: number): number {
  const raw = span / wanted;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((each) => each * power).find((step) => step >= raw) ?? raw;
}

function clampWindow(view: Window, layout: FlameLayout): Window {
  const full = Math.max(layout.end - layout.start, MIN_WINDOW_MS);
  const span = Math.min(Math.max(view.to - view.from, MIN_WINDOW_MS), full);
  const from = Math.min(Math.max(view.from, layout.start), layout.start + full - span);
  return { from, to: from + span };
}

function Tooltip({ node, x, y }: { node: FlameNode; x: number; y: number }) {
  const span = node.span;
  return (
    <div class="flame-tooltip" style={{ left: `${x + 14}px`, top: `${y + 14}px` }} role="tooltip">
      <strong>{node.label}</strong>
      <span class={`kind-chip kind-${node.kind}`}>{node.kind === 'agent' ? 'sub-agent' : node.kind}</span>
      <div>duration {duration(node.end - node.start)}{node.open ? ' (open)' : ''}</div>
      <div>cost {usd(node.costUsd)}</div>
      {span?.model === null || span?.model === undefined ? null : <div>model {span.model}</div>}
      {node.status === 'ok' || node.status === 'succeeded' ? null : <div class="bad">status {node.status}</div>}
    </div>
  );
}

/**
 * The flame chart of a run tree: x is wall time, y is depth. Wheel zooms around the pointer, drag
 * pans, the buttons zoom around the middle. Only bars inside the window are drawn, so a run of
 * thousands of spans stays responsive when zoomed.
 */
export function FlameChart({ layout, selected, onSelect }: { layout: FlameLayout; selected: string | undefined; onSelect: (key: string) => void }) {
  const body = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [view, setView] = useState<Window>({ from: layout.start, to: layout.end });
  const [hover, setHover] = useState<{ node: FlameNode; x: number; y: number }>();
  const byKey = useMemo(() => new Map(layout.nodes.map((node) => [node.key, node])), [layout]);
  const viewRef = useRef(view);
  viewRef.current = view;

  // A new layout (the run was reloaded while live) keeps the zoom unless the user never zoomed.
  const fullRef = useRef({ from: layout.start, to: layout.end });
  useEffect(() => {
    const wasFull = viewRef.current.from === fullRef.current.from && viewRef.current.to === fullRef.current.to;
    fullRef.current = { from: layout.start, to: layout.end };
    setView((current) => (wasFull ? { from: layout.start, to: layout.end } : clampWindow(current, layout)));
  }, [layout]);

  useEffect(() => {
    const element = body.current!;
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    setWidth(element.clientWidth);
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const current = viewRef.current;
      const fraction = (event.clientX - element.getBoundingClientRect().left) / element.clientWidth;
      const anchor = current.from + fraction * (current.to - current.from);
      const span = (current.to - current.from) * Math.exp(event.deltaY * 0.002);
      setView(clampWindow({ from: anchor - fraction * span, to: anchor - fraction * span + span }, layout));
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      observer.disconnect();
      element.removeEventListener('wheel', onWheel);
    };
  }, [layout]);

  const drag = useRef<{ x: number; from: number; to: number; moved: boolean }>(undefined);
  const onPointerDown = (event: PointerEvent) => {
    drag.current = { x: event.clientX, from: view.from, to: view.to, moved: false };
  };
  const onPointerMove = (event: PointerEvent) => {
    const state = drag.current;
    if (state !== undefined && event.buttons === 1) {
      const dx = event.clientX - state.x;
      if (Math.abs(dx) > DRAG_THRESHOLD_PX) state.moved = true;
      if (state.moved) {
        const shift = (-dx / width) * (state.to - state.from);
        setView(clampWindow({ from: state.from + shift, to: state.to + shift }, layout));
        setHover(undefined);
        return;
      }
    }
    const key = (event.target as HTMLElement).closest<HTMLElement>('[data-key]')?.dataset.key;
    const node = key === undefined ? undefined : byKey.get(key);
    const box = body.current!.getBoundingClientRect();
    setHover(node === undefined ? undefined : { node, x: event.clientX - box.left, y: event.clientY - box.top + body.current!.scrollTop });
  };
  const onClick = (event: MouseEvent) => {
    if (drag.current?.moved === true) return;
    const key = (event.target as HTMLElement).closest<HTMLElement>('[data-key]')?.dataset.key;
    if (key !== undefined) onSelect(key);
  };
  const zoom = (factor: number) => {
    const middle = (view.from + view.to) / 2;
    const span = (view.to - view.from) * factor;
    setView(clampWindow({ from: middle - span / 2, to: middle + span / 2 }, layout));
  };

  const span = view.to - view.from;
  const scale = width / span;
  const step = tickStep(span, Math.max(2, Math.floor(width / 110)));
  const ticks: number[] = [];
  for (let tick = Math.ceil((view.from - layout.start) / step) * step; layout.start + tick <= view.to; tick += step) ticks.push(tick);

  return (
    <div class="flame">
      <div class="flame-toolbar">
        <button type="button" onClick={() => zoom(0.5)} aria-label="zoom in">+</button>
        <button type="button" onClick={() => zoom(2)} aria-label="zoom out">−</button>
        <button type="button" onClick={() => setView({ from: layout.start, to: layout.end })}>Reset zoom</button>
        <span class="muted">wheel to zoom, drag to pan · window {duration(span)}</span>
        <span class="legend">
          {(['run', 'agent', 'llm', 'attempt', 'tool', 'cache'] as const).map((kind) => (
            <span key={kind} class={`kind-chip kind-${kind}`}>{kind === 'agent' ? 'sub-agent' : kind}</span>
          ))}
        </span>
      </div>
      <div class="flame-axis" style={{ width: `${width}px` }}>
        {ticks.map((tick) => (
          <span key={tick} style={{ left: `${(layout.start + tick - view.from) * scale}px` }}>+{duration(tick)}</span>
        ))}
      </div>
      <div class="flame-scroll">
        <div
          class="flame-body"
          ref={body}
          style={{ height: `${layout.rows * ROW_HEIGHT}px` }}
          data-from={view.from}
          data-to={view.to}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerLeave={() => setHover(undefined)}
          onClick={onClick}
        >
          {layout.nodes.map((node) => {
            if (node.end < view.from || node.start > view.to) return null;
            const left = (node.start - view.from) * scale;
            const barWidth = Math.max(1, (node.end - node.start) * scale);
            const classes = `bar kind-${node.kind}${node.key === selected ? ' selected' : ''}${node.status === 'error' || node.status === 'failed' ? ' failed' : ''}${node.open ? ' open' : ''}`;
            return (
              <div
                key={node.key}
                class={classes}
                data-key={node.key}
                data-kind={node.kind}
                data-start-ms={node.start}
                data-duration-ms={node.end - node.start}
                data-row={node.row}
                style={{ left: `${left}px`, width: `${barWidth}px`, top: `${node.row * ROW_HEIGHT}px` }}
              >
                {barWidth > 24 ? node.label : ''}
              </div>
            );
          })}
          {hover === undefined ? null : <Tooltip {...hover} />}
        </div>
      </div>
    </div>
  );
}
