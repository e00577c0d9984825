// `defineRule`: the one shape of a rule. Its message ids are a type, so `ctx.report({ messageId })` with an id
// the rule does not define is a compile error (typescript-eslint's `createRule<Options, MessageIds>`).
import type { Rule, RuleContext } from './types.js';

export interface RuleDefinition<M extends string> extends Omit<Rule, 'messages' | 'check'> {
  /** Message templates keyed by id; `{name}` is filled from the report's data. */
  messages: Record<M, string>;
  check(ctx: RuleContext<M>): void;
}

export function defineRule<M extends string>(definition: RuleDefinition<M>): Rule {
  return definition as unknown as Rule;
}
