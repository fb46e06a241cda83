// A loopback fake of Binance's GET /sapi/v1/account/apiRestrictions for the end-to-end tests (scripts/e2e.sh points
// the app at it with KEYSTEAD_BASE_URL_BINANCE on E2E_FAKE_BINANCE_PORT). It checks each request as Binance
// documents it: the API key in X-MBX-APIKEY, a timestamp, and the signature of the query string before
// `&signature=` (`signedBy` says whether it is the right one); a bad one gets Binance's -1022 answer.
import { createHmac, createPublicKey, verify } from "node:crypto";
import http from "node:http";

/** HMAC-SHA256 keys: the hex HMAC of the payload, keyed by the secret. */
export const hmacSignedBy = (secret) => (payload, signature) =>
  signature === createHmac("sha256", secret).update(payload).digest("hex");

/** Ed25519 keys: the URL-encoded base64 signature of the payload, verified with the registered public key (PEM). */
export const ed25519SignedBy = (publicPem) => (payload, signature) => {
  try {
    const pem = publicPem();
    return pem !== null && verify(null, Buffer.from(payload), createPublicKey(pem), Buffer.from(decodeURIComponent(signature), "base64"));
  } catch {
    return false;
  }
};

/**
 * Starts the fake on 127.0.0.1:`port`. `answer()` gives the JSON object for a well-signed request, or
 * `{ status, json }` for another status. Resolves to `{ seen, close }`: `seen` lists, per request, whether it
 * was signed right.
 */
export async function startFakeBinance(port, { apiKey, signedBy, answer }) {
  const seen = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const query = (req.url ?? "").split("?")[1] ?? "";
    const at = query.lastIndexOf("&signature=");
    const payload = at < 0 ? "" : query.slice(0, at);
    const signature = at < 0 ? "" : query.slice(at + "&signature=".length);
    const ok =
      url.pathname === "/sapi/v1/account/apiRestrictions" &&
      req.headers["x-mbx-apikey"] === apiKey &&
      payload.includes("timestamp=") &&
      signedBy(payload, signature);
    seen.push(ok);
    res.setHeader("Content-Type", "application/json");
    const reply = ok ? answer() : { status: 400, json: { code: -1022, msg: "Signature for this request is not valid." } };
    const full = "status" in reply && "json" in reply;
    res.statusCode = full ? reply.status : 200;
    res.end(JSON.stringify(full ? reply.json : reply));
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { seen, close: () => server.close() };
}
