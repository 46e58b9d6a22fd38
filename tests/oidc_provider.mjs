// A real OpenID Connect provider for the single sign-on tests: the `oidc-provider` package (the certified
// Node.js implementation) with its development sign-in pages, one confidential client and two accounts.
// Usage: node tests/oidc_provider.mjs PORT REDIRECT_URI  (prints "ready" once it listens on 127.0.0.1:PORT)
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(new URL("../tools/package.json", import.meta.url));
const { default: Provider } = await import(pathToFileURL(require.resolve("oidc-provider")).href);

const [port, redirectUri] = process.argv.slice(2);
const ACCOUNTS = {
  alice: { sub: "alice", preferred_username: "alice", name: "Alice Analyst", email: "alice@example.org",
           groups: ["data-team", "not-in-legato"] },
  bob: { sub: "bob", preferred_username: "bob", name: "Bob", email: "bob@example.org", groups: [] },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: "legato", client_secret: "legato-test-secret", redirect_uris: [redirectUri],
    grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic",
  }],
  pkce: { required: () => true },
  scopes: ["openid", "profile", "email", "groups"],
  claims: { openid: ["sub"], profile: ["name", "preferred_username"], email: ["email"], groups: ["groups"] },
  async findAccount(_ctx, id) {
    const claims = ACCOUNTS[id];
    return claims ? { accountId: id, async claims() { return claims; } } : undefined;
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["legato-test-cookie-key"] },
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
