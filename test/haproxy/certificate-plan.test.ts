import { expect, test } from "bun:test";
import { crtListText, planCertificates, type ServedCertificate } from "../../src/haproxy/certificate-plan.ts";

const LIST = "/data/certs/list.txt";
const pem = (tag: string, size = 64) => `-----BEGIN CERTIFICATE-----\n${tag.padEnd(size, "A")}\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nKEY${tag}\n-----END PRIVATE KEY-----\n`;
const cert = (name: string, tag: string, hosts: readonly string[], size?: number): ServedCertificate => ({ path: `/data/certs/${name}.pem`, pem: pem(tag, size), hosts });
const commands = (plan: ReturnType<typeof planCertificates>) => (plan.kind === "runtime" ? plan.steps.map((step) => step.command.split("\n")[0]) : plan);

const shop = cert("shop", "S1", ["shop.example", "*.shop.example"]);
const blog = cert("blog", "B1", ["blog.example"]);

test.each<[string, ServedCertificate[], ServedCertificate[], ReturnType<typeof commands>]>([
  ["the same certificates", [shop, blog], [shop, blog], { kind: "none" }],
  ["a new one: created, filled, committed, listed", [shop], [shop, blog], ["new ssl cert /data/certs/blog.pem", "set ssl cert /data/certs/blog.pem <<", "commit ssl cert /data/certs/blog.pem", `add ssl crt-list ${LIST} <<`]],
  ["a renewal: filled and committed in place", [shop], [cert("shop", "S2", shop.hosts)], ["set ssl cert /data/certs/shop.pem <<", "commit ssl cert /data/certs/shop.pem"]],
  ["a removal: unlisted, then freed", [shop, blog], [shop], [`del ssl crt-list ${LIST} /data/certs/blog.pem`, "del ssl cert /data/certs/blog.pem"]],
  [
    "names changed under a new path: the new one is served before the old one goes",
    [shop],
    [cert("shop-2", "S2", ["shop.example"])],
    ["new ssl cert /data/certs/shop-2.pem", "set ssl cert /data/certs/shop-2.pem <<", "commit ssl cert /data/certs/shop-2.pem", `add ssl crt-list ${LIST} <<`, `del ssl crt-list ${LIST} /data/certs/shop.pem`, "del ssl cert /data/certs/shop.pem"],
  ],
  ["names changed under the same path: a reload, never a moment without it", [shop], [cert("shop", "S1", ["shop.example"])], { kind: "reload", reasons: ["certificate /data/certs/shop.pem answers other host names"] }],
  ["a certificate longer than the CLI carries: a reload", [shop], [shop, cert("big", "G", ["big.example"], 20_000)], { kind: "reload", reasons: ["certificate /data/certs/big.pem is longer than the runtime API carries"] }],
  [
    "names too many for one crt-list line through the CLI: a reload",
    [shop],
    [shop, cert("wide", "W", Array.from({ length: 100 }, (_, i) => `${"h".repeat(180)}${i}.example`))],
    { kind: "reload", reasons: ["certificate /data/certs/wide.pem is longer than the runtime API carries"] },
  ],
])("%s", (_name, served, wanted, expected) => {
  expect(commands(planCertificates(served, wanted, LIST))).toEqual(expected);
});

test("the crt-list file holds one line per certificate with its names, as the runtime steps leave it", () => {
  expect(crtListText([shop, blog])).toBe("/data/certs/shop.pem shop.example *.shop.example\n/data/certs/blog.pem blog.example\n");
});
