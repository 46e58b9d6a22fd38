// The handle between the code and the side panel: dragged with the mouse or moved with the arrow keys, it sets
// the side panel's width, kept in localStorage for the next visit.
import { useCallback, useState, type KeyboardEvent, type PointerEvent } from "react";

const KEY = "legato.editor.sideWidth";
export const SIDE_WIDTH = { min: 240, initial: 480, step: 16 };
/** The code keeps at least this many pixels. */
const CODE_MIN = 320;

function savedWidth(): number {
  const value = Number(localStorage.getItem(KEY));
  return Number.isFinite(value) && value >= SIDE_WIDTH.min ? value : SIDE_WIDTH.initial;
}

/** The side panel's width in pixels and a setter that clamps it to what `total` (the split's width) allows. */
export function useSideWidth(): [number, (width: number, total: number) => void] {
  const [width, setWidth] = useState(savedWidth);
  const set = useCallback((next: number, total: number) => {
    const clamped = Math.round(Math.max(SIDE_WIDTH.min, Math.min(next, Math.max(SIDE_WIDTH.min, total - CODE_MIN))));
    setWidth(clamped);
    localStorage.setItem(KEY, String(clamped));
  }, []);
  return [width, set];
}

export function SplitHandle({ width, onResize }: { width: number; onResize: (width: number, total: number) => void }) {
  const total = (element: Element) => element.parentElement?.getBoundingClientRect() ?? new DOMRect();
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = e.shiftKey ? SIDE_WIDTH.step * 4 : SIDE_WIDTH.step;
    const change = e.key === "ArrowLeft" ? step : e.key === "ArrowRight" ? -step : 0;
    if (change === 0) return;
    e.preventDefault();
    onResize(width + change, total(e.currentTarget).width);
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (!e.currentTarget.hasPointerCapture(e.pointerId)) return;
    const box = total(e.currentTarget);
    onResize(box.right - e.clientX, box.width);
  };
  return (
    <div className="split-handle" role="separator" aria-orientation="vertical" aria-label="Resize the side panel"
      aria-valuemin={SIDE_WIDTH.min} aria-valuenow={width} aria-valuetext={`side panel ${width} pixels wide`} tabIndex={0}
      title="Drag, or use the arrow keys, to resize the side panel"
      onKeyDown={onKeyDown} onPointerDown={onPointerDown} onPointerMove={onPointerMove} />
  );
}
