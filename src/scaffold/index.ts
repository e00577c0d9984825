export { scaffoldCommand } from './command.js';
export { scaffoldService, ScaffoldUsageError, type ScaffoldServiceOptions, type ScaffoldServiceResult } from './service.js';
