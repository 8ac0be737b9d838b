import { expect, test } from "bun:test";
import { AgentAddresses, agentHostNames } from "../../src/compile/agent-addresses.ts";
import type { App } from "../../src/marathon/types.ts";
import { HostResolver } from "../../src/sync/host-resolver.ts";
import { app, task } from "../routing/builders.ts";

const table: Record<string, string> = { "agent-1.example": "10.1.0.1" };
const fakeDns = async (host: string) => {
  const address = table[host];
  if (!address) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  return address;
};

/** DNS's answers for the apps' agents, applied as the compiler applies them; one AgentAddresses per resolver, as a pipeline owns both. */
function resolving(resolver: HostResolver) {
  const addresses = new AgentAddresses();
  return async (apps: readonly App[]) => addresses.apply(apps, await resolver.lookupAll(agentHostNames(apps)));
}

test("host names become addresses and addresses stay as they are", async () => {
  const resolveApps = resolving(new HostResolver(fakeDns));
  const { apps, problems } = await resolveApps([
    app({ id: "/a", tasks: [task({ id: "a.1", host: "agent-1.example" }), task({ id: "a.2", host: "10.0.0.9" })] }),
  ]);
  expect(apps[0]!.tasks.map((t) => t.host)).toEqual(["10.1.0.1", "10.0.0.9"]);
  expect(problems).toEqual([]);
});

test("a task on an agent that does not resolve is left out and reported", async () => {
  const resolveApps = resolving(new HostResolver(fakeDns));
  const { apps, problems } = await resolveApps([app({ id: "/a", tasks: [task({ id: "a.1", host: "gone.example" }), task({ id: "a.2", host: "agent-1.example" })] })]);
  expect(apps[0]!.tasks.map((t) => t.id)).toEqual(["a.2"]);
  expect(problems).toEqual([{ id: "/a", message: "task a.1 left out: its host gone.example does not resolve (getaddrinfo ENOTFOUND gone.example)" }]);
});

test("a name keeps its last address while DNS fails", async () => {
  let now = 0;
  let failing = false;
  const resolveApps = resolving(new HostResolver(async (host) => {
    if (failing) throw new Error("timeout");
    return fakeDns(host);
  }, () => now));
  await resolveApps([app({ id: "/a", tasks: [task({ id: "a.1", host: "agent-1.example" })] })]);
  failing = true;
  now = 120_000;
  const { apps } = await resolveApps([app({ id: "/a", tasks: [task({ id: "a.1", host: "agent-1.example" })] })]);
  expect(apps[0]!.tasks[0]!.host).toBe("10.1.0.1");
});

test("an app keeps its resolved object while its agents keep their addresses", async () => {
  let now = 0;
  const answers: Record<string, string> = { "agent-1.example": "10.1.0.1" };
  const resolveApps = resolving(new HostResolver(async (host) => answers[host]!, () => now));
  const named = app({ id: "/a", tasks: [task({ id: "a.1", host: "agent-1.example" })] });
  const first = (await resolveApps([named])).apps[0]!;
  expect((await resolveApps([named])).apps[0]).toBe(first);
  // The agent moved: after the cache's lifetime the app is resolved anew.
  answers["agent-1.example"] = "10.1.0.2";
  now = 120_000;
  const moved = (await resolveApps([named])).apps[0]!;
  expect(moved).not.toBe(first);
  expect(moved.tasks[0]!.host).toBe("10.1.0.2");
});

test("the same answers come as the same map, so compile can keep its work", async () => {
  let now = 0;
  const resolver = new HostResolver(fakeDns, () => now);
  const first = await resolver.lookupAll(["agent-1.example"]);
  expect(await resolver.lookupAll(["agent-1.example"])).toBe(first);
  expect(await resolver.lookupAll(["agent-1.example", "gone.example"])).not.toBe(first);
  now = 120_000;
  expect(await resolver.lookupAll(["agent-1.example"])).not.toBe(first);
});
