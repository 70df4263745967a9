/**
 * Node label that overrides the address docker-watcher reaches a node's published ports at
 * (`docker node update --label-add docker-watcher.address=10.0.0.12 <node>`), for a node whose
 * Swarm address (Status.Addr) is not reachable from the manager's host.
 */
export const LABEL_NODE_ADDRESS = 'docker-watcher.address';

/** The parts of GET /nodes read here. */
export interface RawNode {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Labels?: Record<string, string> };
  Status?: { State?: string; Addr?: string; Message?: string };
}

/** Where a task's node is, as the health probes and the route reach it. */
export interface SwarmNode {
  hostname: string;
  /** The node docker-watcher's own engine is: its published ports are on this host. */
  local: boolean;
  /** Address of the node's published ports: its label, else its Swarm address (absent for the local node). */
  address?: string;
  /** ready, down, disconnected or unknown (NodeState in the Engine API). */
  state: string;
}

const UNSPECIFIED = new Set(['', '0.0.0.0', '::']);

/**
 * The nodes of a Swarm by id. The local node keeps no address: its tasks' ports are on this host,
 * reached at the loopback or global.docker.publish_host like a container's (a manager's own
 * Status.Addr may read 0.0.0.0). Every other node is reached at its docker-watcher.address label,
 * else at the address the Swarm knows it by.
 */
export function swarmNodes(nodes: readonly RawNode[], localNodeId: string): Map<string, SwarmNode> {
  return new Map(
    nodes.map((node) => {
      const local = node.ID === localNodeId;
      const address = node.Spec?.Labels?.[LABEL_NODE_ADDRESS] ?? node.Status?.Addr ?? '';
      return [
        node.ID,
        {
          hostname: node.Description?.Hostname ?? node.ID,
          local,
          ...(local || UNSPECIFIED.has(address) ? {} : { address }),
          state: node.Status?.State ?? 'unknown',
        },
      ];
    }),
  );
}
