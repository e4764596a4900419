export { Coordinate, type CoordinateLike, type CoordinateOperand } from './coordinate.js';
export { Roi, type SnapMode, type Slice } from './roi.js';
