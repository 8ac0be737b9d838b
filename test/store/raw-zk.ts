/**
 * A bare node-zookeeper-client for tests: it plays a Bamboo instance (writing
 * nodes exactly as Bamboo does) or an outsider without credentials.
 */

import zookeeper, { type ACL, type Client } from "node-zookeeper-client";

/** Promise-shaped raw access to one ZooKeeper session. */
export interface RawZk {
  create(path: string, body?: string, acl?: ACL[]): Promise<void>;
  mkdirp(path: string): Promise<void>;
  set(path: string, body: string): Promise<void>;
  get(path: string): Promise<string | null>;
  exists(path: string): Promise<boolean>;
  children(path: string): Promise<string[]>;
  remove(path: string): Promise<void>;
  close(): void;
}

/** Connects (optionally with digest `user:password`) and resolves once connected. */
export async function rawClient(connectionString: string, auth = ""): Promise<RawZk> {
  const client: Client = zookeeper.createClient(connectionString, { sessionTimeout: 5000 });
  if (auth !== "") client.addAuthInfo("digest", Buffer.from(auth));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ZooKeeper at ${connectionString}`)), 10_000);
    client.once("connected", () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  const call = <T>(start: (done: (error: Error | null, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));
  const raw: RawZk = {
    create: (path, body = "", acl = zookeeper.ACL.OPEN_ACL_UNSAFE) =>
      call((done) => client.create(path, Buffer.from(body), acl, zookeeper.CreateMode.PERSISTENT, (e) => done(e))),
    async mkdirp(path) {
      const parts = path.split("/").filter(Boolean);
      for (let i = 1; i <= parts.length; i++) {
        await raw.create(`/${parts.slice(0, i).join("/")}`).catch((error: { code?: number }) => {
          if (error.code !== zookeeper.Exception.NODE_EXISTS) throw error;
        });
      }
    },
    set: (path, body) => call((done) => client.setData(path, Buffer.from(body), -1, (e) => done(e))),
    get: (path) => call((done) => client.getData(path, undefined, (e, data) => done(e, data ? data.toString() : null))),
    exists: (path) => call((done) => client.exists(path, undefined, (e, stat) => done(e, Boolean(stat)))),
    children: (path) => call((done) => client.getChildren(path, undefined, (e, names) => done(e, names))),
    remove: (path) => call((done) => client.remove(path, -1, (e) => done(e))),
    close: () => client.close(),
  };
  return raw;
}
