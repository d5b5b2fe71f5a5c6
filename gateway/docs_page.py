# ruff: noqa: E501  (the embedded page keeps its JavaScript lines whole)
"""``/docs``: one self-contained page (no CDN: the gateway may run without internet access).

It fetches ``/openapi.json`` and lists every route with its parameters, request body and
response, expanding message schemas in place.
"""

DOCS_HTML = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>通办 API 文档</title>
<style>
  body { font: 14px/1.5 system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; color: #1f2328; }
  header { background: #0b3d91; color: #fff; padding: 12px 24px; position: sticky; top: 0; z-index: 1; }
  header h1 { font-size: 18px; margin: 0 0 6px; }
  header input { width: 100%; max-width: 480px; padding: 6px 8px; border-radius: 4px; border: 0; font-size: 14px; }
  main { padding: 16px 24px; max-width: 1100px; }
  h2 { font-size: 16px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; margin-top: 28px; }
  details.op { border: 1px solid #d0d7de; border-radius: 6px; margin: 8px 0; background: #fff; }
  details.op > summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 12px; align-items: baseline; }
  .verb { font-weight: 700; min-width: 64px; text-align: center; border-radius: 4px; color: #fff; padding: 0 6px; }
  .GET { background: #1a7f37; } .POST { background: #0969da; } .PATCH { background: #9a6700; }
  .PUT { background: #8250df; } .DELETE { background: #cf222e; }
  code, .path { font-family: ui-monospace, Menlo, Consolas, monospace; }
  .body { padding: 4px 16px 12px; border-top: 1px solid #d0d7de; }
  table { border-collapse: collapse; width: 100%; margin: 6px 0; }
  th, td { text-align: left; border-bottom: 1px solid #eaeef2; padding: 4px 8px; vertical-align: top; }
  th { background: #f6f8fa; font-weight: 600; }
  .type { color: #6e7781; font-family: ui-monospace, Menlo, Consolas, monospace; }
  .desc { white-space: pre-line; color: #57606a; }
  details.schema { margin-left: 12px; } details.schema > summary { cursor: pointer; color: #0969da; }
  .muted { color: #6e7781; }
</style>
</head>
<body>
<header>
  <h1 id="title">通办 API</h1>
  <input id="filter" type="search" placeholder="按路径、方法或说明筛选…" autocomplete="off">
</header>
<main id="content"><p class="muted">正在加载 /openapi.json …</p></main>
<script>
"use strict";
let spec = null;
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) { if (k === "class") node.className = v; else node.setAttribute(k, v); }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
};
const refName = ref => ref.replace("#/components/schemas/", "");
// A nullable field is {anyOf: [schema, {type: "null"}]}: show the schema, marked as possibly null.
function plain(schema) {
  if (schema && schema.anyOf) {
    const inner = schema.anyOf.find(s => s.type !== "null");
    return inner ? { ...inner, description: schema.description, nullable: true } : schema;
  }
  return schema;
}
function typeText(schema) {
  schema = plain(schema);
  if (!schema) return "any";
  if (schema.nullable) return typeText({ ...schema, nullable: false }) + " | null";
  if (schema.$ref) return refName(schema.$ref).split(".").pop();
  if (schema.type === "array") return typeText(schema.items) + "[]";
  if (schema.enum) return "enum";
  if (schema.type === "object" && schema.additionalProperties) return "map<string, " + typeText(schema.additionalProperties) + ">";
  const t = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type || "any");
  return schema.format ? t + " (" + schema.format + ")" : t;
}
function schemaView(schema, depth, seen) {
  schema = plain(schema);
  if (!schema) return el("span", { class: "muted" }, "—");
  let target = schema, name = null;
  if (schema.$ref) { name = refName(schema.$ref); target = spec.components.schemas[name] || {}; }
  else if (schema.type === "array") return schemaView(schema.items, depth, seen);
  else if (schema.type === "object" && schema.additionalProperties && !schema.properties) return schemaView(schema.additionalProperties, depth, seen);
  if (!target.properties) {
    const text = typeText(schema) + (target.enum ? "：" + target.enum.join(" | ") : "");
    return el("span", { class: "type" }, text);
  }
  if (name && seen.includes(name)) return el("span", { class: "type" }, name + "（递归）");
  const table = el("table", {}, el("tr", {}, el("th", {}, "字段"), el("th", {}, "类型"), el("th", {}, "说明")));
  for (const [field, declared] of Object.entries(target.properties)) {
    const prop = plain(declared);
    const desc = el("td", { class: "desc" }, prop.description || "");
    const inner = prop.$ref || (prop.items && prop.items.$ref) || (prop.additionalProperties && prop.additionalProperties.$ref);
    const enumValues = prop.enum || (prop.items && prop.items.enum);
    if (enumValues) desc.append(el("div", { class: "type" }, enumValues.join(" | ")));
    if (inner && depth < 6) {
      const nested = el("details", { class: "schema" }, el("summary", {}, "展开 " + refName(inner).split(".").pop()));
      nested.addEventListener("toggle", () => {
        if (nested.open && nested.children.length === 1) nested.append(schemaView({ $ref: inner }, depth + 1, name ? [...seen, name] : seen));
      }, { once: false });
      desc.append(nested);
    }
    table.append(el("tr", {}, el("td", {}, el("code", {}, field)), el("td", { class: "type" }, typeText(declared)), desc));
  }
  const box = el("div");
  if (name) box.append(el("div", { class: "type" }, name));
  if (target.description) box.append(el("div", { class: "desc" }, target.description));
  box.append(table);
  return box;
}
function operationView(path, verb, op) {
  const summary = el("summary", {}, el("span", { class: "verb " + verb.toUpperCase() }, verb.toUpperCase()),
    el("span", { class: "path" }, path), el("span", { class: "muted" }, op.summary || ""));
  const body = el("div", { class: "body" });
  if (op.description) body.append(el("p", { class: "desc" }, op.description));
  body.append(el("div", { class: "muted" }, "gRPC：", el("code", {}, op["x-grpc-method"] || op.operationId),
    op.security && !op.security.length ? "（无需登录）" : "（需 Bearer 令牌）"));
  if (op.parameters && op.parameters.length) {
    const table = el("table", {}, el("tr", {}, el("th", {}, "参数"), el("th", {}, "位置"), el("th", {}, "类型"), el("th", {}, "说明")));
    for (const p of op.parameters) {
      const enumValues = p.schema && (p.schema.enum || (p.schema.items && p.schema.items.enum));
      table.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in + (p.required ? "（必填）" : "")),
        el("td", { class: "type" }, typeText(p.schema) + (enumValues ? "：" + enumValues.join(" | ") : "")),
        el("td", { class: "desc" }, p.description || "")));
    }
    body.append(el("h4", {}, "参数"), table);
  }
  if (op.requestBody) {
    body.append(el("h4", {}, "请求体（" + Object.keys(op.requestBody.content).join("、") + "）"));
    const first = Object.values(op.requestBody.content)[0];
    body.append(schemaView(first.schema, 0, []));
  }
  const ok = op.responses && (op.responses["200"] || Object.values(op.responses)[0]);
  if (ok) {
    body.append(el("h4", {}, "响应：" + (ok.description || "")));
    const content = ok.content ? Object.values(ok.content)[0] : null;
    body.append(content ? schemaView(content.schema, 0, []) : el("span", { class: "muted" }, "无内容"));
  }
  body.append(el("p", { class: "muted" }, "出错时返回 google.rpc.Status：{code, message, details}，字段错误在 BadRequest.fieldViolations。"));
  const node = el("details", { class: "op" }, summary, body);
  node.dataset.search = (verb + " " + path + " " + (op.summary || "") + " " + (op.operationId || "")).toLowerCase();
  return node;
}
function render() {
  const content = document.getElementById("content");
  content.replaceChildren();
  document.getElementById("title").textContent = spec.info.title + " " + spec.info.version;
  const groups = new Map();
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [verb, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(operationView(path, verb, op));
    }
  }
  for (const [tag, ops] of [...groups.entries()].sort()) {
    const section = el("section", {}, el("h2", {}, tag));
    ops.forEach(op => section.append(op));
    content.append(section);
  }
  if (!groups.size) content.append(el("p", { class: "muted" }, "没有可用的接口。"));
}
document.getElementById("filter").addEventListener("input", event => {
  const needle = event.target.value.trim().toLowerCase();
  for (const op of document.querySelectorAll("details.op")) op.hidden = needle && !op.dataset.search.includes(needle);
  for (const section of document.querySelectorAll("section")) section.hidden = !section.querySelector("details.op:not([hidden])");
});
fetch("openapi.json").then(r => r.json()).then(doc => { spec = doc; render(); }).catch(error => {
  document.getElementById("content").replaceChildren(el("p", {}, "无法加载 /openapi.json：" + error));
});
</script>
</body>
</html>
"""
