/**
 * Shared links: `/graphql?query=…&variables=…&operationName=…` opened in a browser shows the playground with
 * that operation in the editor (the convention of GraphiQL, Apollo Sandbox and Yoga). Nothing runs until the
 * user presses Run, and a link never carries a key: headers stay in the headers editor.
 *
 * No DOM types on purpose: the unit tests load this file in Node.
 */
export interface SharedOperation {
  query: string;
  /** Pretty-printed when the link's variables are JSON; as written otherwise, for the user to fix. */
  variables?: string;
  operationName?: string;
}

/** The operation in a page URL's search part (`location.search`), or undefined when it carries none. */
export function sharedOperation(search: string): SharedOperation | undefined {
  const params = new URLSearchParams(search);
  const query = params.get('query');
  if (!query?.trim()) return undefined;
  const variables = params.get('variables') ?? undefined;
  const operationName = params.get('operationName') ?? undefined;
  return {
    query,
    ...(variables !== undefined ? { variables: prettyJson(variables) } : {}),
    ...(operationName ? { operationName } : {}),
  };
}

/** The link that opens `operation` in the playground at `endpoint` (the "share" side of the same format). */
export function sharedLink(endpoint: string, operation: SharedOperation): string {
  const params = new URLSearchParams({ query: operation.query });
  if (operation.variables?.trim()) params.set('variables', compactJson(operation.variables));
  if (operation.operationName) params.set('operationName', operation.operationName);
  return `${endpoint}?${params.toString()}`;
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function compactJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}
