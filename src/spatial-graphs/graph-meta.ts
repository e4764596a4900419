/**
 * The metadata a graph database keeps about itself (directedness, total
 * ROI), and the check that a provider opened on an existing database agrees
 * with it. Stored values win when the caller leaves a field undefined.
 */

import { Roi } from '../geometry/roi.js';
import { GraphMetaMismatchError } from './provider.js';

export interface GraphMeta {
  directed: boolean | undefined;
  totalRoi: Roi | undefined;
}

/** The metadata in effect once the stored `meta` (if any) and the request are reconciled. */
export function reconcileMeta(stored: GraphMeta | undefined, requested: GraphMeta, where: string): GraphMeta {
  if (stored === undefined) return { directed: requested.directed ?? false, totalRoi: requested.totalRoi };
  if (requested.directed !== undefined && stored.directed !== undefined && requested.directed !== stored.directed) {
    throw new GraphMetaMismatchError(
      `${where}: asked for directed=${requested.directed}, but the stored graph has directed=${stored.directed}`,
    );
  }
  if (requested.totalRoi !== undefined && stored.totalRoi !== undefined) {
    const [a, b] = [requested.totalRoi, stored.totalRoi];
    if (!a.offset.equals(b.offset) || !a.shape.equals(b.shape)) {
      throw new GraphMetaMismatchError(
        `${where}: asked for total ROI ${a.toString()}, but the stored graph has total ROI ${b.toString()}`,
      );
    }
  }
  return {
    directed: stored.directed ?? requested.directed ?? false,
    totalRoi: stored.totalRoi ?? requested.totalRoi,
  };
}

/** The ROI of stored `total_roi_offset` / `total_roi_shape` lists, when both are present. */
export function roiFromStored(offset: unknown, shape: unknown): Roi | undefined {
  if (!Array.isArray(offset) || !Array.isArray(shape)) return undefined;
  return new Roi(offset as (number | null)[], shape as (number | null)[]);
}
