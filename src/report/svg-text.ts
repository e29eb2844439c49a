/**
 * Text helpers every SVG writer of the report shares: escaping and coordinate rounding, so that
 * the charts (svg.ts) and the swimlanes (trace-svg.ts) write the same kind of file.
 */

/** Escapes text for SVG character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Rounds a coordinate to 0.1 px to keep the file small. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}
