/**
 * The container image as a container engine would run it: built from the Dockerfile by
 * scripts/image (no Docker engine), its entrypoint run as PID 1 in a fresh pid namespace as
 * the image's user, against the Marathon simulator on loopback. Needs root (buildah, chroot).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MarathonSim } from "../support/marathon-sim.ts";
import { freePort } from "../support/ports.ts";
import { buildImage, haproxyUnder, zombiesOf, imageConfig, mountImage, runAsPid1, type ImageConfig, type MountedImage, type Pid1 } from "./image-runner.ts";

/** A cold build here (base image, npm ci, compile) takes several minutes; a reused one, seconds. */
const BUILD_TIMEOUT_MS = 15 * 60_000;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

let tag = "";
let config: ImageConfig;
let image: MountedImage;
let sim: MarathonSim;
let appliance: Pid1 | null = null;
let api = "";
let http = "";
let taskIds: string[] = [];

async function poll(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${appliance?.output() ?? ""}`);
    await Bun.sleep(25);
  }
}

const get = (url: string) =>
  fetch(url, { headers: { connection: "close" } }).then(
    async (response) => ({ status: response.status, body: await response.text() }),
    () => ({ status: 0, body: "" }),
  );

beforeAll(async () => {
  tag = await buildImage();
  config = imageConfig(tag);
  image = mountImage(tag);
  sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  taskIds = (await sim.deployApp({ id: "/web", instances: 2, networking: "host" })).map((task) => task.id);
  const [apiPort, httpPort] = [await freePort(), await freePort()];
  api = `http://127.0.0.1:${apiPort}`;
  http = `http://127.0.0.1:${httpPort}`;
  // Every setting through the environment, as `docker run -e` would pass it.
  appliance = runAsPid1(image, config, {
    MARATHON_ENDPOINT: sim.url,
    BAMBOO_BIND: `127.0.0.1:${apiPort}`,
    HAPROXY_HTTP_BIND: `127.0.0.1:${httpPort}`,
    HAPROXY_RELOAD_INTERVAL: "100ms",
    HAPROXY_HARD_STOP_AFTER: "5s",
  });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (appliance && appliance.process.exitCode === null) {
    appliance.process.kill("SIGKILL");
    await appliance.process.exited;
  }
  image?.remove();
  await sim?.stop();
});

describe("the image", () => {
  test("starts bamboo itself as an exec-form entrypoint, as the unprivileged user bamboo", () => {
    expect(config.entrypoint).toEqual(["/usr/local/bin/bamboo"]);
    expect(config.user).toBe("bamboo");
    expect(config.exposedPorts).toEqual(["443/tcp", "80/tcp", "8000/tcp"]);
    expect(config.stopSignal).toBe("SIGTERM");
    expect(config.env).toContain("BAMBOO_DATA_DIR=/var/lib/bamboo");
  });

  test("has a health check that needs nothing slim lacks", () => {
    expect(config.healthcheck).toEqual(["CMD", "/usr/local/lib/bamboo/healthcheck"]);
    expect(existsSync(join(image.root, "usr/local/lib/bamboo/healthcheck"))).toBe(true);
  });

  test("lets HAProxy bind port 80 through a file capability, with the tool that set it gone", () => {
    // security.capability v2: magic 0x02000001 (effective), permitted bit 10 = cap_net_bind_service.
    const xattr = Bun.spawnSync(["python3", "-c", "import os,sys;print(os.getxattr(sys.argv[1],'security.capability').hex())", join(image.root, "usr/sbin/haproxy")]);
    const hex = xattr.stdout.toString().trim();
    if (xattr.exitCode === 0) {
      const permitted = Buffer.from(hex, "hex").readUInt32LE(4);
      expect(permitted & (1 << 10)).not.toBe(0);
    } else {
      expect(Bun.spawnSync(["getcap", join(image.root, "usr/sbin/haproxy")]).stdout.toString()).toContain("cap_net_bind_service");
    }
    expect(existsSync(join(image.root, "usr/sbin/setcap"))).toBe(false);
  });

  test("gives the data directory to the bamboo user", () => {
    const owner = Bun.spawnSync(["stat", "-c", "%u:%g", join(image.root, "var/lib/bamboo")]).stdout.toString().trim();
    expect(owner).toBe(image.userSpec("bamboo"));
  });
});

describe("the image's entrypoint as PID 1", () => {
  test("answers /status with 200 once Marathon is synced and HAProxy serves", async () => {
    await poll("GET /status = 200", async () => {
      if (appliance!.process.exitCode !== null) throw new Error(`bamboo exited ${appliance!.process.exitCode}:\n${appliance!.output()}`);
      return (await get(`${api}/status`)).status === 200;
    }, READY_TIMEOUT_MS);
  }, READY_TIMEOUT_MS + 5_000);

  test("routes a request through HAProxy to a Marathon task", async () => {
    let answer = { status: 0, body: "" };
    await poll("a task to answer through HAProxy", async () => {
      answer = await get(`${http}/web`);
      return answer.status === 200;
    }, READY_TIMEOUT_MS);
    expect(taskIds).toContain(answer.body.trim());
  }, READY_TIMEOUT_MS + 5_000);

  test("passes the image's own health check", () => {
    const check = Bun.spawnSync(["chroot", `--userspec=${image.userSpec("bamboo")}`, image.root, "/usr/local/lib/bamboo/healthcheck"], {
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", BAMBOO_BIND: api.replace("http://", "") },
    });
    expect(check.exitCode).toBe(0);
  });

  test("runs as PID 1 next to its HAProxy and leaves no zombie behind", async () => {
    const pid1 = appliance!.pid1();
    expect(pid1).not.toBeNull();
    // NSpid: host pid, then the pid inside the namespace.
    const status = readFileSync(`/proc/${pid1}/status`, "utf8");
    expect(/^NSpid:\s+\d+\s+1$/m.test(status)).toBe(true);
    expect(haproxyUnder(image.root).length).toBeGreaterThan(0);
    // A zombie can exist for an instant before Bun or the reaper collects it; none may stay.
    await poll("no zombie under PID 1", () => zombiesOf(pid1!).length === 0, 5_000);
  });

  test("stops in order on SIGTERM: HAProxy first, then exit 0", async () => {
    const pid1 = appliance!.pid1()!;
    process.kill(pid1, "SIGTERM");
    const code = await Promise.race([appliance!.process.exited, Bun.sleep(STOP_TIMEOUT_MS).then(() => "timeout" as const)]);
    expect(code).toBe(0);
    expect(haproxyUnder(image.root)).toEqual([]);
    // serve logs this only after the supervisor reported HAProxy gone; a PID 1 that just died
    // would have had HAProxy killed by the kernel instead, without this line.
    expect(appliance!.output()).toContain("bamboo stopped");
  }, STOP_TIMEOUT_MS + 5_000);
});
