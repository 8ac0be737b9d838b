/**
 * Where and with which permissions bamboo's nodes live in ZooKeeper: the ACL
 * derived from BAMBOO_ZK_AUTH, the recursive creation of the base path, and
 * the explanation of a missing chroot.
 * @module
 */

import zookeeper, { type ACL } from "node-zookeeper-client";
import { ZK_CODES, ZkOpError, ZkSession } from "./zk-session.ts";
import type { StoreLog } from "./types.ts";

/**
 * The ACL for the base node and every service node. With auth, only bamboo's
 * digest identity may change routing rules and anyone may read them; without,
 * nodes are open, as Bamboo creates them.
 */
export function serviceAcl(auth: string): ACL[] {
  if (auth === "") return zookeeper.ACL.OPEN_ACL_UNSAFE;
  return [
    new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id("digest", ZkSession.digestId(auth))),
    new zookeeper.ACL(zookeeper.Permission.READ, new zookeeper.Id("world", "anyone")),
  ];
}

/**
 * For nodes only bamboo may read: certificates (their private keys) and the apps a leader
 * publishes (their env, which often holds secrets). With auth, only bamboo's digest identity
 * may do anything with them; without, they are open, as the services are.
 */
export function privateAcl(auth: string): ACL[] {
  if (auth === "") return zookeeper.ACL.OPEN_ACL_UNSAFE;
  return [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id("digest", ZkSession.digestId(auth)))];
}

/** Creates `path` and its missing parents; parents stay open like Bamboo's, the base node gets `acl`. */
export async function ensureBasePath(session: ZkSession, path: string, acl: ACL[], log?: StoreLog): Promise<void> {
  if (await session.exists(path)) return;
  log?.info("creating the ZooKeeper base path", { path });
  const parts = path.split("/").filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const node = `/${parts.slice(0, i).join("/")}`;
    await session.create(node, Buffer.alloc(0), i === parts.length ? acl : zookeeper.ACL.OPEN_ACL_UNSAFE).catch((error: unknown) => {
      if (!(error instanceof ZkOpError && error.code === ZK_CODES.NODE_EXISTS)) throw error;
    });
  }
}

/**
 * A node beside the services' for bamboo's own data, `<path>-<suffix>` (e.g.
 * `/marathon-haproxy/state-certificates`): Bamboo instances sharing the services path read
 * every child of it as a service. Throws for the root, which has no sibling.
 */
export function siblingPath(servicesPath: string, suffix: string): string {
  const base = servicesPath.replace(/\/+$/, "");
  if (base === "") throw new Error(`the services path is ZooKeeper's root, which has no sibling for ${suffix}: set BAMBOO_ZK_PATH to a node such as /marathon-haproxy/state`);
  return `${base}-${suffix}`;
}

/**
 * ZooKeeper does not create a chroot: a missing one shows up as NO_NODE on the
 * first create. Returns a hint to append to the error, or "".
 */
export function chrootHint(hosts: readonly string[], error: unknown): string {
  const chroot = /\/.*$/.exec(hosts.at(-1) ?? "")?.[0];
  if (!chroot || !(error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE)) return "";
  return ` (does the chroot ${chroot} exist? ZooKeeper does not create it)`;
}
