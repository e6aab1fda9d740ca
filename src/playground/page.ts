/**
 * The fallback playground, served only when the GraphiQL bundle (./dist, built on `npm ci`) is missing, e.g.
 * after `npm ci --ignore-scripts` or `--omit=dev`: self-contained, no CDN, no build step. Queries and
 * mutations go over HTTP; subscriptions over graphql-ws (`graphql-transport-ws`), with the gateway key sent
 * as `connectionParams.authorization`.
 */
const EXAMPLES: Record<string, { query: string; variables: string }> = {
  'Browse catalog': {
    query: `query Catalog($search: String) {
  models(type: CHAT, search: $search) {
    id name organization contextLength
    pricing { inputPerMillion outputPerMillion }
  }
}`,
    variables: '{ "search": "llama" }',
  },
  Chat: {
    query: `mutation Chat($input: ChatCompletionInput!) {
  chatCompletion(input: $input) {
    id model content finishReason costUsd latencyMs
    usage { promptTokens completionTokens totalTokens }
  }
}`,
    variables: '{ "input": { "model": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "messages": [{ "role": "USER", "content": "Say hello in five words" }] } }',
  },
  'Stream chat': {
    query: `subscription Stream($input: ChatCompletionInput!) {
  chatStream(input: $input) { delta done finishReason costUsd usage { totalTokens } }
}`,
    variables: '{ "input": { "model": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "messages": [{ "role": "USER", "content": "Write a haiku about gateways" }] } }',
  },
};

export function playgroundHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Together GraphQL gateway</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:0;display:grid;grid-template-rows:auto 1fr;height:100vh}
header{padding:8px 12px;background:#0f172a;color:#fff;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
header input{width:22em} button{cursor:pointer}
main{display:grid;grid-template-columns:1fr 1fr;gap:8px;padding:8px;min-height:0}
section{display:flex;flex-direction:column;gap:6px;min-height:0}
textarea,pre{font:13px ui-monospace,monospace;border:1px solid #cbd5e1;border-radius:4px;padding:8px;margin:0}
textarea{resize:none} #query{flex:3} #variables{flex:1} #stream{white-space:pre-wrap;min-height:3em;background:#f8fafc}
pre#result{flex:1;overflow:auto;background:#f8fafc}
</style></head><body>
<header><strong>Together GraphQL gateway</strong>
<span id="examples"></span>
<label>Authorization <input id="auth" placeholder="Bearer gw_…" autocomplete="off"></label>
<button id="run">▶ Run</button><button id="stop" disabled>■ Stop</button>
<a href="/dashboard" style="color:#93c5fd;margin-left:auto">Usage dashboard</a></header>
<main><section><textarea id="query" spellcheck="false" aria-label="Operation"></textarea>
<textarea id="variables" spellcheck="false" aria-label="Variables"></textarea></section>
<section><div id="stream" aria-label="Streamed text"></div><pre id="result" aria-label="Result"></pre></section></main>
<script>
const EXAMPLES = ${JSON.stringify(EXAMPLES).replace(/</g, '\\u003c')};
const $ = (id) => document.getElementById(id);
const auth = $('auth'); auth.value = localStorage.getItem('gw-auth') || '';
auth.onchange = () => localStorage.setItem('gw-auth', auth.value);
for (const [name, ex] of Object.entries(EXAMPLES)) {
  const b = document.createElement('button'); b.textContent = name;
  b.onclick = () => { $('query').value = ex.query; $('variables').value = ex.variables; };
  $('examples').append(b);
}
$('query').value = EXAMPLES['Browse catalog'].query; $('variables').value = EXAMPLES['Browse catalog'].variables;
// A shared link (/graphql?query=…&variables=…) opens its operation in the editor; nothing runs until Run.
const link = new URLSearchParams(location.search);
if (link.get('query')) { $('query').value = link.get('query'); $('variables').value = link.get('variables') || ''; }
let socket = null;
const show = (v) => { $('result').textContent = JSON.stringify(v, null, 2); };
$('stop').onclick = () => { if (socket) socket.close(1000); };
$('run').onclick = async () => {
  let variables = {};
  try { variables = JSON.parse($('variables').value || '{}'); } catch (e) { return show({ error: 'Variables are not valid JSON' }); }
  const query = $('query').value; $('stream').textContent = ''; show('…');
  const authorization = auth.value.trim() ? (auth.value.trim().startsWith('Bearer ') ? auth.value.trim() : 'Bearer ' + auth.value.trim()) : undefined;
  if (/^\\s*subscription\\b/.test(query)) {
    const url = location.href.replace(/^http/, 'ws').replace(/[?#].*$/, '');
    socket = new WebSocket(url, 'graphql-transport-ws'); $('stop').disabled = false;
    const events = [];
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} }));
    socket.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === 'connection_ack') socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      else if (msg.type === 'next') {
        events.push(msg.payload);
        const d = msg.payload.data && Object.values(msg.payload.data)[0];
        if (d && typeof d.delta === 'string') $('stream').textContent += d.delta;
        show({ events: events.length, last: msg.payload });
      } else if (msg.type === 'error') show({ errors: msg.payload });
      else if (msg.type === 'complete') socket.close(1000);
    };
    socket.onclose = (e) => { $('stop').disabled = true; if (e.code !== 1000) show({ closed: e.code, reason: e.reason }); };
    return;
  }
  const headers = { 'content-type': 'application/json' };
  if (authorization) headers.authorization = authorization;
  const res = await fetch(location.pathname, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  show(await res.json());
};
</script></body></html>`;
}
