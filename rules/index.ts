// The central table of rules, in code order. `bgsafe rules`, `bgsafe explain`, the README's table and
// the tests all read it.
import type { Rule } from '../src/types.js';
import { gpuInBackground } from './gpu-in-background/index.js';
import { keymapWithoutGuard } from './keymap-without-guard/index.js';
import { restrictedContextInRegister } from './restricted-context-in-register/index.js';
import { contextAreaNone } from './context-area-none/index.js';
import { popupInBackground } from './popup-in-background/index.js';
import { viewportCapture } from './viewport-capture.js';
import { view3dOperator } from './view3d-operator/index.js';
import { invokeFileOperator } from './invoke-file-operator.js';
import { uiRegistrationGate } from './ui-registration-gate/index.js';
import { modeSetWithoutActive } from './mode-set-without-active/index.js';
import { timersNeverFire } from './timers-never-fire.js';
import { modalStartHeadless } from './modal-start-headless.js';
import { asyncioBlocksRegister } from './asyncio-blocks-register.js';
import { noKeepAlive } from './no-keep-alive.js';
import { bglRemoved } from './bgl-removed/index.js';
import { contextDictOverride } from './context-dict-override/index.js';
import { eeveeEngineName } from './eevee-engine-name/index.js';
import { legacyIoOperators } from './legacy-io-operators/index.js';
import { annotationsDict } from './annotations-dict/index.js';
import { addonPreferencesKey } from './addon-preferences-key.js';
import { toolKeymapAtStartup } from './tool-keymap-at-startup/index.js';
import { backgroundRefusal } from './background-refusal/index.js';

export const allRules: Rule[] = [
  gpuInBackground,
  keymapWithoutGuard,
  restrictedContextInRegister,
  contextAreaNone,
  popupInBackground,
  viewportCapture,
  view3dOperator,
  invokeFileOperator,
  uiRegistrationGate,
  modeSetWithoutActive,
  timersNeverFire,
  modalStartHeadless,
  asyncioBlocksRegister,
  noKeepAlive,
  bglRemoved,
  contextDictOverride,
  eeveeEngineName,
  legacyIoOperators,
  annotationsDict,
  addonPreferencesKey,
  toolKeymapAtStartup,
  backgroundRefusal,
];

export function ruleByCode(code: string): Rule | undefined {
  const c = code.toUpperCase();
  return allRules.find((t) => t.code === c || t.slug === code.toLowerCase());
}
