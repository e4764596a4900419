/**
 * Where a node is: daisy's `position_attribute` is either one array attribute
 * (`position: [z, y, x]`) or a list of scalar attributes, one per axis
 * (`['z', 'y', 'x']`).
 */

import type { Roi } from '../geometry/roi.js';
import type { Attributes } from './attributes.js';

export type PositionAttribute = string | readonly string[];

/** The attribute names that hold the position, for projections and indexes. */
export function positionAttributeNames(position: PositionAttribute): string[] {
  return typeof position === 'string' ? [position] : [...position];
}

/**
 * A node's position, or undefined when the node has none (nodes pulled into a
 * graph as far ends of edges carry no attributes).
 */
export function nodePosition(attrs: Attributes, position: PositionAttribute): number[] | undefined {
  if (typeof position === 'string') {
    const value = attrs[position];
    if (!Array.isArray(value)) return typeof value === 'number' ? [value] : undefined;
    return value.every((x) => typeof x === 'number') ? (value as number[]) : undefined;
  }
  const coords: number[] = [];
  for (const axis of position) {
    const value = attrs[axis];
    if (typeof value !== 'number') return undefined;
    coords.push(value);
  }
  return coords;
}

/** Whether a node lies in `roi` (half-open); nodes without a position lie nowhere, as in daisy. */
export function nodeInRoi(attrs: Attributes, position: PositionAttribute, roi: Roi | undefined): boolean {
  const coords = nodePosition(attrs, position);
  if (coords === undefined) return false;
  return roi === undefined || roi.contains(coords);
}
