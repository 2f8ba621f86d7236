// Raw polling: handshake, CONNECT, pending GET, oversized POST; print status and bodies with timings.
import http from "node:http";
const base = process.argv[2];
const t0 = Date.now();
function req(method, path, body) {
  return new Promise((resolve) => {
    const r = http.request(base + path, { method, headers: body ? { "content-type": "text/plain;charset=UTF-8" } : {} }, (res) => {
      let data = "";
      res.setEncoding("latin1");
      res.on("data", (d) => (data += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: data, at: Date.now() - t0 }));
    });
    r.on("error", (e) => resolve({ error: e.message, at: Date.now() - t0 }));
    if (body) r.write(body);
    r.end();
  });
}
const hs = await req("GET", "/socket.io/?EIO=4&transport=polling");
console.log("handshake", hs.status, hs.body);
const sid = JSON.parse(hs.body.slice(1)).sid;
console.log("connect POST", await req("POST", `/socket.io/?EIO=4&transport=polling&sid=${sid}`, "40"));
console.log("GET", (await req("GET", `/socket.io/?EIO=4&transport=polling&sid=${sid}`)).body);
const pending = req("GET", `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
await new Promise((r) => setTimeout(r, 50));
const big = "42" + JSON.stringify(["message", "x".repeat(10001 - 16)]);
const post = await req("POST", `/socket.io/?EIO=4&transport=polling&sid=${sid}`, big);
console.log("oversized POST ->", JSON.stringify({ status: post.status, body: post.body, at: post.at, ct: post.headers?.["content-type"], error: post.error }));
const g = await pending;
console.log("pending GET ->", JSON.stringify({ status: g.status, body: g.body, at: g.at, error: g.error }));
const g2 = await req("GET", `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
console.log("next GET ->", JSON.stringify({ status: g2.status, body: g2.body, at: g2.at }));
