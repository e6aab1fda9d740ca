import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { type ASTVisitor, GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { SecurityConfig } from '../core/config.ts';

/**
 * Limits on the GraphQL document itself, applied identically to HTTP (Apollo `validationRules` and
 * `parseOptions`) and to graphql-ws (`onSubscribe`, see ws-limits.ts): an operation refused on one path is
 * refused on the other.
 *
 * - tokens: graphql-js's own `maxTokens` parse option, so an oversized document is dropped while it is being
 *   lexed, before any AST is built (graphql-armor's max-tokens plugin re-parses the source a second time).
 * - depth, aliases, directives, cost: graphql-armor's validation rules.
 *
 * Every refusal is `GRAPHQL_VALIDATION_FAILED` (HTTP 400) with `extensions.limit` naming the limit hit
 * (`maxTokens`, `maxDepth`, `maxAliases`, `maxDirectives`, `maxCost`): the document, not its arguments, is at
 * fault, so this is GraphQL's own code for "this operation cannot run here", not BAD_USER_INPUT.
 */
export type DocumentLimit = 'maxTokens' | 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxCost';

export const LIMIT_CODE = 'GRAPHQL_VALIDATION_FAILED';

export function limitError(message: string, limit: DocumentLimit): GraphQLError {
  // graphql-armor prefixes its messages with "Syntax Error: ", which they are not.
  return new GraphQLError(message.replace(/^Syntax Error:\s*/, ''), { extensions: { code: LIMIT_CODE, limit } });
}

/** Report (not throw) so graphql-js collects the error with the others and Apollo answers 400. */
const reportAs = (limit: DocumentLimit) => ({
  propagateOnRejection: false,
  exposeLimits: true,
  onReject: [(ctx: ValidationContext | null, err: GraphQLError) => ctx?.reportError(limitError(err.message, limit))],
});

export function documentLimitRules(limits: SecurityConfig): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxQueryDepth, ...reportAs('maxDepth') }),
    // `__typename` is not exempt: a thousand aliases of it still make a thousand response keys.
    maxAliasesRule({ n: limits.maxQueryAliases, allowList: [], ...reportAs('maxAliases') }),
    maxDirectivesRule({ n: limits.maxQueryDirectives, ...reportAs('maxDirectives') }),
    costLimitRule({ maxCost: limits.maxQueryCost, ...reportAs('maxCost') }),
  ] as ValidationRule[];
}

export function documentParseOptions(limits: SecurityConfig): ParseOptions {
  return { maxTokens: limits.maxQueryTokens };
}

// graphql-js 16 spells it "more that N tokens".
const TOKEN_LIMIT = /Document contains more tha[nt] \d+ tokens/;

export const isTokenLimitMessage = (message: string): boolean => TOKEN_LIMIT.test(message);

/** A parse failure as clients see it: the token limit as a limit, any other syntax error as GRAPHQL_PARSE_FAILED. */
export function parseFailure(err: unknown): GraphQLError {
  const message = err instanceof Error ? err.message : String(err);
  if (isTokenLimitMessage(message)) return limitError(message, 'maxTokens');
  return new GraphQLError(message, {
    extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    ...(err instanceof GraphQLError ? { source: err.source, positions: err.positions } : {}),
  });
}

/**
 * Introspection off: `__schema` and `__type` refused, as Apollo's own rule does on HTTP (graphql-ws has no such
 * switch of its own, so the same rule is applied there).
 */
export function noIntrospectionRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        context.reportError(
          new GraphQLError('GraphQL introspection is not allowed on this server', { nodes: [node], extensions: { code: LIMIT_CODE } }),
        );
      }
    },
  };
}

/** graphql-js suggests field and type names ("Did you mean …?"): with introspection off that would leak the schema. */
export const hideSuggestions = (message: string): string => message.replace(/\s*Did you mean [^?]*\?/g, '');
