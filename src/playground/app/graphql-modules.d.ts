/** The build loads `.graphql` documents as text (esbuild `loader: { '.graphql': 'text' }`). */
declare module '*.graphql' {
  const source: string;
  export default source;
}
