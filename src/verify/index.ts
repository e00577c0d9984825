// The programmatic API of `bgsafe verify`.
export { verifyAddons, exitCodeFor, ruleFor, DEFAULT_TIMEOUT_S } from './verify.js';
export { formatMatrixText, formatVerifyJson, formatVerifyText } from './format.js';
export { verifyMatrix, type MatrixRow, type VerifyMatrixReport } from './matrix.js';
export { verifyCommand } from './command.js';
export { findBlender, INSTALL_HINT } from './blender.js';
export { parseTracebacks, parseCrashLog } from './traceback.js';
export { VerifyUsageError } from './types.js';
export type * from './types.js';
